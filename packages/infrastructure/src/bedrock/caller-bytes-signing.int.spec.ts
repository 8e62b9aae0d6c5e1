import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalBedrock } from '@nova-cost/bedrock-local';
import { startLocalBedrock } from '@nova-cost/bedrock-local';
import type { JsonObject } from '@nova-cost/domain';
import { rememberBodySource } from '@nova-cost/domain';
import { plannedCall } from '@nova-cost/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BedrockModelInvoker } from './bedrock-model-invoker';

const MODEL = 'amazon.nova-lite-v1:0';
const SENT = '{"messages":[{"role":"user","content":[{"text":"hello hash"}]}]}';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let bedrock: LocalBedrock;
/** Forwards every request to the local endpoint, keeping the headers of the last one. */
let recorder: Server;
let lastHeaders: IncomingHttpHeaders = {};
let invoker: BedrockModelInvoker;

beforeAll(async () => {
  bedrock = await startLocalBedrock();
  bedrock.configure({ latency: { fixedMs: 0, perOutputTokenMs: 0 } });
  const upstream = new URL(bedrock.url);
  recorder = createServer((req, res) => {
    lastHeaders = req.headers;
    const forward = request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
  invoker = new BedrockModelInvoker({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`,
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
  });
});
afterAll(async () => {
  invoker.destroy();
  await new Promise((resolve) => recorder.close(resolve));
  await bedrock.close();
});
beforeEach(() => bedrock.reset());

/** A body parsed from SENT, remembered with its bytes and `digest` as the gateway does for a large body. */
function parsedWithDigest(digest?: string): JsonObject {
  const bytes = Buffer.from(SENT);
  const body = JSON.parse(SENT) as JsonObject;
  rememberBodySource(body, bytes, digest);
  return body;
}

const signedHeaders = () => /SignedHeaders=([^,]+)/.exec(String(lastHeaders['authorization']))?.[1]?.split(';') ?? [];

describe('BedrockModelInvoker signing with a known payload hash', () => {
  it("signs the caller's bytes with the sha256 computed off the event loop (x-amz-content-sha256, signed)", async () => {
    const result = await invoker.invoke(
      plannedCall({ modelId: MODEL, operation: 'converse', body: parsedWithDigest(sha256(SENT)) }),
    );
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(lastHeaders['x-amz-content-sha256']).toBe(sha256(SENT));
    expect(signedHeaders()).toContain('x-amz-content-sha256');
  });

  it('takes the known hash as it is, without hashing the bytes again', async () => {
    const known = 'ab'.repeat(32); // not the bytes' hash: only a signer that did not hash them sends it
    await invoker.invoke(plannedCall({ modelId: MODEL, operation: 'invoke', body: parsedWithDigest(known) }));
    expect(lastHeaders['x-amz-content-sha256']).toBe(known);
  });

  it.each(['converse-stream', 'invoke-with-response-stream'] as const)(
    'takes the known hash as it is for %s too (its call does not go through the client middleware)',
    async (operation) => {
      const known = 'cd'.repeat(32);
      const stream = await invoker.stream(plannedCall({ modelId: MODEL, operation, body: parsedWithDigest(known) }));
      for await (const _ of stream.events);
      expect(lastHeaders['x-amz-content-sha256']).toBe(known);
      expect(signedHeaders()).toContain('x-amz-content-sha256');
    },
  );

  it('lets the signer hash a body whose hash is not known, as before', async () => {
    await invoker.invoke(plannedCall({ modelId: MODEL, operation: 'converse', body: parsedWithDigest() }));
    expect(lastHeaders['x-amz-content-sha256']).toBe(sha256(SENT)); // the signer's own (it sends the header anyway)
  });
});
