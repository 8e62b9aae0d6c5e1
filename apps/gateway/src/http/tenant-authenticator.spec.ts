import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { TenantAuthenticator } from './tenant-authenticator';

const auth = new TenantAuthenticator([
  { id: 'acme', apiKeys: ['acme-key-0123'], sigv4: [{ accessKeyId: 'AKIDACME', secret: 'acme-secret' }] },
  { id: 'globex', apiKeys: ['globex-key-0123'], sigv4: [{ accessKeyId: 'AKIDGLOBEX', secret: 'globex-secret' }] },
]);

async function signedBy(accessKeyId: string, secretAccessKey: string, extra: Record<string, string> = {}) {
  const body = '{"messages":[]}';
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey },
    region: 'us-east-1',
    service: 'bedrock',
    sha256: Hash.bind(null, 'sha256'),
  });
  const req = await signer.sign(
    new HttpRequest({
      method: 'POST',
      protocol: 'http:',
      hostname: 'gw',
      path: '/model/m/converse',
      headers: { host: 'gw', ...extra },
      body,
    }),
  );
  return {
    method: 'POST',
    url: '/model/m/converse',
    headers: req.headers as Record<string, string>,
    body: Buffer.from(body),
  };
}

describe(TenantAuthenticator, () => {
  describe('.tenantOfHeaders', () => {
    it.each([
      ['an x-api-key header', { 'x-api-key': 'globex-key-0123' }],
      ['an Authorization: Bearer API key', { authorization: 'Bearer globex-key-0123' }],
      ['a lower-case bearer scheme', { authorization: 'bearer globex-key-0123' }],
    ])('names the tenant of %s before the body is read', (_name, headers) => {
      expect(auth.tenantOfHeaders(headers)).toBe('globex');
    });

    it('hands a SigV4 signature that may be valid, parsed, to tenantOfSigned(), which needs the body', async () => {
      expect(auth.tenantOfHeaders((await signedBy('AKIDACME', 'acme-secret')).headers)).toMatchObject({
        accessKeyId: 'AKIDACME',
        region: 'us-east-1',
        service: 'bedrock',
      });
    });

    it('refuses a signature scoped to another service before the body is read', async () => {
      const { headers } = await signedBy('AKIDACME', 'acme-secret');
      expect(() =>
        auth.tenantOfHeaders({ ...headers, authorization: headers['authorization']!.replace('/bedrock/', '/s3/') }),
      ).toThrow(/must name the service bedrock/);
    });

    it('refuses a Bearer token that is no tenant API key, naming where it looked', () => {
      expect(() => auth.tenantOfHeaders({ authorization: 'Bearer ABSKnot-a-tenant-key' })).toThrow(
        expect.objectContaining({
          kind: 'access-denied',
          message: expect.stringMatching(/Bearer token does not name a known API key/),
        }),
      );
    });

    it('answers no credentials at all as unauthenticated', () => {
      expect(() => auth.tenantOfHeaders({})).toThrow(
        expect.objectContaining({ kind: 'access-denied', details: { reason: 'unauthenticated' } }),
      );
    });

    it.each([
      [
        'an x-api-key and a Bearer token of another tenant',
        { 'x-api-key': 'acme-key-0123', authorization: 'Bearer globex-key-0123' },
      ],
      [
        'an x-api-key and a Bearer token of the same tenant',
        { 'x-api-key': 'acme-key-0123', authorization: 'Bearer acme-key-0123' },
      ],
      [
        'an x-api-key and a SigV4 signature',
        {
          'x-api-key': 'acme-key-0123',
          authorization:
            'AWS4-HMAC-SHA256 Credential=AKIDGLOBEX/20260501/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00',
        },
      ],
    ])('refuses %s as ambiguous, before the body is read', (_name, headers) => {
      expect(() => auth.tenantOfHeaders(headers)).toThrow(
        expect.objectContaining({
          kind: 'validation',
          details: { reason: 'ambiguous-credentials', field: 'authorization' },
        }),
      );
    });
  });

  describe('.tenantOfSigned', () => {
    it('names the tenant of a valid signature from the header tenantOfHeaders parsed', async () => {
      const request = await signedBy('AKIDGLOBEX', 'globex-secret');
      const signature = auth.tenantOfHeaders(request.headers);
      if (typeof signature === 'string') throw new Error('a SigV4 request named its tenant before its body');
      expect(auth.tenantOfSigned(request, signature)).toBe('globex');
    });

    it('refuses a body other than the one signed', async () => {
      const request = await signedBy('AKIDGLOBEX', 'globex-secret');
      const signature = auth.tenantOfHeaders(request.headers);
      if (typeof signature === 'string') throw new Error('a SigV4 request named its tenant before its body');
      expect(() => auth.tenantOfSigned({ ...request, body: Buffer.from('{"altered":true}') }, signature)).toThrow(
        expect.objectContaining({ kind: 'access-denied' }),
      );
    });
  });

  describe('.authenticate', () => {
    it('names the tenant of a valid signature', async () => {
      await expect(auth.authenticate(await signedBy('AKIDGLOBEX', 'globex-secret'))).resolves.toBe('globex');
    });

    it("refuses tenant A's API key beside tenant B's valid signature instead of serving it as A", async () => {
      const request = await signedBy('AKIDGLOBEX', 'globex-secret');
      await expect(
        auth.authenticate({ ...request, headers: { ...request.headers, 'x-api-key': 'acme-key-0123' } }),
      ).rejects.toMatchObject({ kind: 'validation', details: { reason: 'ambiguous-credentials' } });
    });
  });
});
