import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SigV4Verifier } from './sigv4-verifier';

const SIGNED_AT = new Date('2026-05-01T12:00:00Z');
const body = '{"messages":[]}';

async function signedRequest(
  secretAccessKey = 'demo-secret',
  at = SIGNED_AT,
  scope = { region: 'us-east-1', service: 'bedrock' },
) {
  const signer = new SignatureV4({
    credentials: { accessKeyId: 'demo', secretAccessKey },
    ...scope,
    sha256: Hash.bind(null, 'sha256'),
  });
  const path = '/model/amazon.nova-lite-v1%3A0/converse';
  const req = await signer.sign(
    new HttpRequest({
      method: 'POST',
      protocol: 'http:',
      hostname: 'gw',
      path,
      headers: { host: 'gw', 'content-type': 'application/json' },
      body,
    }),
    { signingDate: at },
  );
  return { method: 'POST', url: path, headers: req.headers as Record<string, string>, body: Buffer.from(body) };
}

const verifierAt = (now: Date) =>
  new SigV4Verifier((id) => (id === 'demo' ? 'demo-secret' : undefined), { now: () => now.getTime() });

describe(SigV4Verifier, () => {
  describe('.verify', () => {
    it('returns the access key id of a valid signature', async () => {
      const req = await signedRequest();
      await expect(verifierAt(SIGNED_AT).verify(req, req.headers['authorization']!)).resolves.toBe('demo');
    });

    it('refuses a signature made with another secret', async () => {
      const req = await signedRequest('other');
      await expect(verifierAt(SIGNED_AT).verify(req, req.headers['authorization']!)).rejects.toMatchObject({
        kind: 'access-denied',
        message: expect.stringMatching(/does not match/),
      });
    });

    it('refuses a body changed after signing', async () => {
      const req = await signedRequest();
      await expect(
        verifierAt(SIGNED_AT).verify({ ...req, body: Buffer.from('{"messages":[1]}') }, req.headers['authorization']!),
      ).rejects.toMatchObject({ kind: 'access-denied' });
    });

    it.each([
      ['6 minutes late', 6 * 60_000],
      ['6 minutes early', -6 * 60_000],
    ])('refuses a signature checked %s', async (_name, offset) => {
      const req = await signedRequest();
      await expect(
        verifierAt(new Date(SIGNED_AT.getTime() + offset)).verify(req, req.headers['authorization']!),
      ).rejects.toThrow(/signature expired/);
    });

    it('accepts the same signed request again while its date is within the skew window, as Bedrock does', async () => {
      const req = await signedRequest();
      const verifier = verifierAt(new Date(SIGNED_AT.getTime() + 4 * 60_000));
      await expect(verifier.verify(req, req.headers['authorization']!)).resolves.toBe('demo');
      await expect(verifier.verify(req, req.headers['authorization']!)).resolves.toBe('demo');
    });

    it('once it accepted a signed request, still refuses its signature on anything altered, and accepts it again', async () => {
      const req = await signedRequest();
      const authorization = req.headers['authorization']!;
      const verifier = verifierAt(SIGNED_AT);
      await expect(verifier.verify(req, authorization)).resolves.toBe('demo');
      const altered = [
        { ...req, method: 'PUT' },
        { ...req, url: `${req.url}?x=1` },
        { ...req, url: req.url.replace('converse', 'invoke') },
        { ...req, headers: { ...req.headers, host: 'other' } },
        { ...req, headers: { ...req.headers, 'content-type': 'text/plain' } },
        { ...req, body: Buffer.from('{"messages":[1]}') },
      ];
      for (const request of altered)
        await expect(verifier.verify(request, authorization)).rejects.toMatchObject({ kind: 'access-denied' });
      await expect(verifier.verify(req, authorization)).resolves.toBe('demo');
    });

    it('refuses a signed request it once accepted when its date has left the skew window since', async () => {
      const req = await signedRequest();
      let now = SIGNED_AT.getTime();
      const verifier = new SigV4Verifier(() => 'demo-secret', { now: () => now });
      await expect(verifier.verify(req, req.headers['authorization']!)).resolves.toBe('demo');
      now += 6 * 60_000;
      await expect(verifier.verify(req, req.headers['authorization']!)).rejects.toThrow(/signature expired/);
    });

    it('refuses a signed request it once accepted after the access key was given another secret', async () => {
      const req = await signedRequest();
      let secret = 'demo-secret';
      const verifier = new SigV4Verifier(() => secret, { now: () => SIGNED_AT.getTime() });
      await expect(verifier.verify(req, req.headers['authorization']!)).resolves.toBe('demo');
      secret = 'rotated-secret';
      await expect(verifier.verify(req, req.headers['authorization']!)).rejects.toMatchObject({
        kind: 'access-denied',
      });
    });

    it('accepts a scope naming any well-formed region (the gateway calls Bedrock in its own region)', async () => {
      const req = await signedRequest('demo-secret', SIGNED_AT, { region: 'eu-central-2', service: 'bedrock' });
      await expect(verifierAt(SIGNED_AT).verify(req, req.headers['authorization']!)).resolves.toBe('demo');
    });

    it.each([
      ['another service', { region: 'us-east-1', service: 's3' }, /must name the service bedrock, got "s3"/],
      [
        'bedrock-runtime instead of bedrock',
        { region: 'us-east-1', service: 'bedrock-runtime' },
        /must name the service bedrock/,
      ],
      ['a region that is not one', { region: 'mars', service: 'bedrock' }, /must name an AWS region/],
    ])('refuses a validly signed scope naming %s', async (_name, scope, message) => {
      const req = await signedRequest('demo-secret', SIGNED_AT, scope);
      await expect(verifierAt(SIGNED_AT).verify(req, req.headers['authorization']!)).rejects.toMatchObject({
        kind: 'access-denied',
        message: expect.stringMatching(message),
      });
    });

    it.each([
      ['not SigV4', 'Basic ZGVtbzpkZW1v', /not an AWS4-HMAC-SHA256 signature/],
      [
        'an unknown access key id',
        'AWS4-HMAC-SHA256 Credential=nobody/20260501/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=' +
          'a'.repeat(64),
        /unknown access key id/,
      ],
      [
        'a scope date unlike x-amz-date',
        'AWS4-HMAC-SHA256 Credential=demo/20990101/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=' +
          'a'.repeat(64),
        /does not match the credential scope date/,
      ],
      [
        'a signature that omits host',
        'AWS4-HMAC-SHA256 Credential=demo/20260501/us-east-1/bedrock/aws4_request, SignedHeaders=x-amz-date, Signature=' +
          'a'.repeat(64),
        /must cover the host/,
      ],
    ])('refuses %s', async (_name, authorization, message) => {
      const req = await signedRequest();
      await expect(verifierAt(SIGNED_AT).verify(req, authorization)).rejects.toThrow(message);
    });
  });
  describe('.verify against the AWS SDK signer (@smithy/signature-v4) as the reference', () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9._~%:!'()*-]{1,12}$/);
    const query = fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z0-9_.-]{1,6}$/), fc.string({ maxLength: 8 })), {
      maxLength: 4,
    });
    const headerValue = fc.stringMatching(/^[ \t]{0,2}[!-~]{1,10}([ \t]{1,3}[!-~]{1,10}){0,2}[ \t]{0,2}$/);

    it('accepts what the SDK signs, whatever the path, query and header spacing, and nothing altered', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(segment, { minLength: 1, maxLength: 4 }),
          query,
          headerValue,
          fc.boolean(),
          async (segments, params, value, uriEscapePath) => {
            const path = `/${segments.join('/')}`;
            const signer = new SignatureV4({
              credentials: { accessKeyId: 'demo', secretAccessKey: 'demo-secret' },
              region: 'us-west-2',
              service: 'bedrock',
              sha256: Hash.bind(null, 'sha256'),
              uriEscapePath,
            });
            const search = new URLSearchParams(params);
            const signed = await signer.sign(
              new HttpRequest({
                method: 'POST',
                protocol: 'http:',
                hostname: 'gw',
                path,
                query: Object.fromEntries(
                  [...new Set(search.keys())].map((k) => [
                    k,
                    search.getAll(k).length > 1 ? search.getAll(k) : search.get(k)!,
                  ]),
                ),
                headers: { host: 'gw', 'content-type': 'application/json', 'x-custom': value },
                body,
              }),
              { signingDate: SIGNED_AT },
            );
            const url = search.size > 0 ? `${path}?${search.toString()}` : path;
            const headers = signed.headers as Record<string, string>;
            const req = { method: 'POST', url, headers, body: Buffer.from(body) };
            await expect(verifierAt(SIGNED_AT).verify(req, headers['authorization']!)).resolves.toBe('demo');
            const altered = { ...req, headers: { ...headers, 'x-custom': `${value}x` } };
            await expect(verifierAt(SIGNED_AT).verify(altered, headers['authorization']!)).rejects.toMatchObject({
              kind: 'access-denied',
            });
          },
        ),
        { numRuns: 200 },
      );
    });
  });

  describe('.checkHeaders', () => {
    it('passes the headers of a valid signature without the body', async () => {
      const req = await signedRequest();
      expect(() => verifierAt(SIGNED_AT).checkHeaders(req.headers, req.headers['authorization']!)).not.toThrow();
    });

    it.each([
      ['garbage', () => 'Bearer x'],
      ['an unknown access key', (auth: string) => auth.replace('Credential=demo/', 'Credential=nobody/')],
    ])('refuses %s before any body is read', async (_name, authOf) => {
      const req = await signedRequest();
      expect(() => verifierAt(SIGNED_AT).checkHeaders(req.headers, authOf(req.headers['authorization']!))).toThrow(
        expect.objectContaining({ kind: 'access-denied' }),
      );
    });

    it('refuses a stale date before any body is read', async () => {
      const req = await signedRequest();
      expect(() =>
        verifierAt(new Date(SIGNED_AT.getTime() + 3_600_000)).checkHeaders(req.headers, req.headers['authorization']!),
      ).toThrow(/signature expired/);
    });
  });

  describe('.verifyParsed', () => {
    it('refuses a request whose date passed out of the skew window while its body was arriving', async () => {
      const req = await signedRequest();
      let now = SIGNED_AT.getTime();
      const verifier = new SigV4Verifier((id) => (id === 'demo' ? 'demo-secret' : undefined), { now: () => now });
      const parsed = verifier.checkHeaders(req.headers, req.headers['authorization']!);
      now += 3_600_000;
      expect(() => verifier.verifyParsed(req, parsed)).toThrow(/signature expired/);
    });

    it('accepts the same request when its body arrived within the window', async () => {
      const req = await signedRequest();
      const verifier = verifierAt(SIGNED_AT);
      expect(verifier.verifyParsed(req, verifier.checkHeaders(req.headers, req.headers['authorization']!))).toBe(
        'demo',
      );
    });
  });
});
