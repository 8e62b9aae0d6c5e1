import { timingSafeEqual } from 'node:crypto';
import { NovaCostError } from '@nova-cost/domain';
import type { TenantConfig } from '../config/gateway-config';
import type { EventSignatureChain } from './event-signature-chain';
import type { ParsedSignature, SignedRequest } from './sigv4-verifier';
import type { SigV4VerifierOptions } from './sigv4-verifier';
import { SigV4Verifier } from './sigv4-verifier';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The one credential a request carries: judged from its headers alone. */
type Credential =
  | { readonly scheme: 'api-key' | 'bearer'; readonly key: string }
  | { readonly scheme: 'sigv4'; readonly authorization: string };

/**
 * Finds the tenant of a request from its one credential: an `x-api-key` header, an `Authorization: Bearer <key>`
 * header (a Bedrock API key, as the AI SDK's `apiKey`, LangChain and `AWS_BEARER_TOKEN_BEDROCK` clients send it),
 * or a SigV4 signature. A request carrying two (an API key and a signature, say) is refused: which tenant it
 * speaks for would otherwise depend on which one the gateway happened to read.
 */
export class TenantAuthenticator {
  /** Each API key's bytes (made once, compared in constant time) and its tenant. */
  private readonly apiKeys: { readonly key: Buffer; readonly tenantId: string }[] = [];
  private readonly byAccessKeyId = new Map<string, { tenantId: string; secret: string }>();
  private readonly sigv4: SigV4Verifier;

  constructor(tenants: readonly TenantConfig[], options: SigV4VerifierOptions = {}) {
    for (const t of tenants) {
      for (const key of t.apiKeys) this.apiKeys.push({ key: Buffer.from(key), tenantId: t.id });
      for (const c of t.sigv4) this.byAccessKeyId.set(c.accessKeyId, { tenantId: t.id, secret: c.secret });
    }
    this.sigv4 = new SigV4Verifier((id) => this.byAccessKeyId.get(id)?.secret, options);
  }

  /**
   * What the headers alone decide, so a request is refused before its body is read: the tenant of an API key
   * (x-api-key or Bearer), 'access-denied' for a wrong key, no credentials, or a SigV4 Authorization whose shape,
   * scope, access key or date is wrong, 'validation' for two credentials. A SigV4 request that may be valid, whose
   * signature covers the body, gets its Authorization header as parsed, for `tenantOfSigned` once the body is in.
   */
  tenantOfHeaders(headers: SignedRequest['headers']): string | ParsedSignature {
    const credential = credentialOf(headers);
    if (credential.scheme !== 'sigv4') return this.tenantOfApiKey(credential.key, credential.scheme);
    // What can be judged of a signature without the body it covers: its shape, scope, access key and date.
    return this.sigv4.checkHeaders(headers, credential.authorization);
  }

  /**
   * The tenant of a SigV4 request whose headers `tenantOfHeaders` judged, once its body is in: its Authorization is
   * not parsed again and nothing waits (a cache hit signed by the AWS SDK). 'access-denied' for a bad signature.
   */
  tenantOfSigned(request: SignedRequest, signature: ParsedSignature): string {
    return this.byAccessKeyId.get(this.sigv4.verifyParsed(request, signature))!.tenantId;
  }

  /** The tenant id; 'access-denied' (reason unauthenticated or forbidden) or 'validation' (two credentials) otherwise. */
  async authenticate(request: SignedRequest): Promise<string> {
    const credential = credentialOf(request.headers);
    if (credential.scheme !== 'sigv4') return this.tenantOfApiKey(credential.key, credential.scheme);
    const accessKeyId = await this.sigv4.verify(request, credential.authorization);
    return this.byAccessKeyId.get(accessKeyId)!.tenantId;
  }

  /**
   * The tenant of a request whose body is an event stream (InvokeModelWithBidirectionalStream), judged before any of
   * it is read. A SigV4 request comes with the chain its events' signatures are checked with; an API key covers the
   * whole stream as it covers any body (the AWS SDK signs events with whatever credentials it has: nothing to check).
   */
  async authenticateEventStream(
    request: Omit<SignedRequest, 'body'>,
  ): Promise<{ readonly tenantId: string; readonly events?: EventSignatureChain }> {
    const credential = credentialOf(request.headers);
    if (credential.scheme !== 'sigv4') return { tenantId: this.tenantOfApiKey(credential.key, credential.scheme) };
    const { accessKeyId, events } = await this.sigv4.verifyEventStream(request, credential.authorization);
    return { tenantId: this.byAccessKeyId.get(accessKeyId)!.tenantId, events };
  }

  private tenantOfApiKey(apiKey: string, scheme: 'api-key' | 'bearer'): string {
    const given = Buffer.from(apiKey);
    // Every key is compared (the last listed wins, as configured), so the time taken does not say which one matched.
    let found: string | undefined;
    for (const { key, tenantId } of this.apiKeys)
      if (key.length === given.length && timingSafeEqual(key, given)) found = tenantId;
    if (found !== undefined) return found;
    const where = scheme === 'bearer' ? 'the Authorization: Bearer token' : 'the x-api-key header';
    throw new NovaCostError('access-denied', `${where} does not name a known API key`, {
      details: { reason: 'forbidden' },
    });
  }
}

function credentialOf(headers: SignedRequest['headers']): Credential {
  const apiKey = headers['x-api-key'];
  const authorization = headers['authorization'];
  const hasApiKey = apiKey !== undefined && apiKey !== '';
  const hasAuthorization = authorization !== undefined && authorization !== '';
  if (hasApiKey && hasAuthorization) {
    throw new NovaCostError(
      'validation',
      'the request carries two credentials (an x-api-key header and an Authorization header): send exactly one',
      {
        details: { reason: 'ambiguous-credentials', field: 'authorization' },
      },
    );
  }
  if (typeof apiKey === 'string' && hasApiKey) return { scheme: 'api-key', key: apiKey };
  if (typeof authorization === 'string' && hasAuthorization) {
    const bearer = BEARER.exec(authorization);
    return bearer ? { scheme: 'bearer', key: bearer[1]! } : { scheme: 'sigv4', authorization };
  }
  if (hasApiKey)
    throw new NovaCostError('validation', 'the request carries several x-api-key headers: send exactly one', {
      details: { reason: 'ambiguous-credentials', field: 'x-api-key' },
    });
  throw new NovaCostError(
    'access-denied',
    'missing credentials: send an x-api-key header, an Authorization: Bearer <API key> header, or sign the request with AWS SigV4',
    {
      details: { reason: 'unauthenticated' },
    },
  );
}
