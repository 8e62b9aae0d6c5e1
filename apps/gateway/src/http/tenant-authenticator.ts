import { timingSafeEqual } from 'node:crypto';
import { NovaCostError } from '@nova-cost/domain';
import type { TenantConfig } from '../config/gateway-config';
import type { SignedRequest } from './sigv4-verifier';
import type { SigV4VerifierOptions } from './sigv4-verifier';
import { SigV4Verifier } from './sigv4-verifier';

/** Finds the tenant of a request from its `x-api-key` header or its SigV4 signature. */
export class TenantAuthenticator {
  private readonly byApiKey = new Map<string, string>();
  private readonly byAccessKeyId = new Map<string, { tenantId: string; secret: string }>();
  private readonly sigv4: SigV4Verifier;

  constructor(tenants: readonly TenantConfig[], options: SigV4VerifierOptions = {}) {
    for (const t of tenants) {
      for (const key of t.apiKeys) this.byApiKey.set(key, t.id);
      for (const c of t.sigv4) this.byAccessKeyId.set(c.accessKeyId, { tenantId: t.id, secret: c.secret });
    }
    this.sigv4 = new SigV4Verifier((id) => this.byAccessKeyId.get(id)?.secret, options);
  }

  /**
   * What the headers alone decide, so a request is refused before its body is read: the tenant of an `x-api-key`,
   * 'access-denied' for a wrong key, no credentials at all, or a SigV4 Authorization whose shape, access key or date
   * is wrong; undefined for a SigV4 request that may be valid, whose signature covers the body.
   */
  tenantOfHeaders(headers: SignedRequest['headers']): string | undefined {
    const apiKey = headers['x-api-key'];
    if (typeof apiKey === 'string' && apiKey !== '') return this.tenantOfApiKey(apiKey);
    const authorization = headers['authorization'];
    if (typeof authorization === 'string' && authorization !== '') {
      this.sigv4.checkHeaders(headers, authorization);
      return undefined;
    }
    throw new NovaCostError('access-denied', 'missing credentials: send an x-api-key header or sign the request with AWS SigV4', {
      details: { reason: 'unauthenticated' },
    });
  }

  /** The tenant id; 'access-denied' (reason unauthenticated or forbidden) otherwise. */
  async authenticate(request: SignedRequest): Promise<string> {
    const byHeaders = this.tenantOfHeaders(request.headers);
    if (byHeaders !== undefined) return byHeaders;
    const accessKeyId = await this.sigv4.verify(request, request.headers['authorization'] as string);
    return this.byAccessKeyId.get(accessKeyId)!.tenantId;
  }

  private tenantOfApiKey(apiKey: string): string {
    const given = Buffer.from(apiKey);
    for (const [key, tenantId] of this.byApiKey) {
      const known = Buffer.from(key);
      if (known.length === given.length && timingSafeEqual(known, given)) return tenantId;
    }
    throw new NovaCostError('access-denied', 'the x-api-key header does not name a known API key', { details: { reason: 'forbidden' } });
  }
}
