import { request } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { TestRedis } from '@nova-cost/testing';
import { startTestRedis } from '@nova-cost/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config/load-config';
import type { Gateway } from './gateway';
import { startGateway } from './gateway';
import { createLogger } from './observability/logger';

const silent = createLogger('silent');
const PATH = '/model/amazon.nova-lite-v1%3A0/converse';
// Behind a load balancer every task sees the same Host.
const HOST = 'bedrock-gateway.example';

/** A request signed once, as a client (or an attacker who captured it) would send it. */
async function signed(text: string): Promise<{ headers: Record<string, string>; body: string }> {
  const body = JSON.stringify({ messages: [{ role: 'user', content: [{ text }] }], inferenceConfig: { temperature: 0.7 } });
  const signer = new SignatureV4({ credentials: { accessKeyId: 'demo', secretAccessKey: 'demo-secret' }, region: 'us-east-1', service: 'bedrock', sha256: Hash.bind(null, 'sha256') });
  const req = await signer.sign(new HttpRequest({ method: 'POST', protocol: 'http:', hostname: HOST, path: PATH, headers: { host: HOST, 'content-type': 'application/json' }, body }));
  return { headers: req.headers as Record<string, string>, body };
}

function send(gateway: Gateway, req: { headers: Record<string, string>; body: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const out = request(`${gateway.url}${PATH}`, { method: 'POST', headers: req.headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    out.on('error', reject);
    out.end(req.body);
  });
}

describe('SigV4 replay across gateway processes sharing Redis', () => {
  let redis: TestRedis;
  let a: Gateway;
  let b: Gateway;
  beforeAll(async () => {
    redis = await startTestRedis({ controllable: true });
    const config = { ...loadConfig({ REDIS_URL: redis.url }), port: 0 };
    a = await startGateway(config, { logger: silent, emfIntervalMs: 0 });
    b = await startGateway(config, { logger: silent, emfIntervalMs: 0 });
    // The Redis connections open in the background: wait until the shared memory answers.
    for (const until = Date.now() + 15_000; Date.now() < until; ) {
      const probe = await signed(`probe ${Date.now()}`);
      if ((await send(a, probe)).status === 200 && (await send(b, probe)).status === 403) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(async () => {
    await a?.shutdown();
    await b?.shutdown();
    await redis?.close();
  });

  it('refuses a signed request replayed to another gateway, naming the replay', async () => {
    const captured = await signed('transfer the budget');
    expect((await send(a, captured)).status).toBe(200);
    const replay = await send(b, captured);
    expect(replay.status).toBe(403);
    expect(JSON.parse(replay.body)).toMatchObject({ message: expect.stringMatching(/already used \(replayed request\)/), error: { kind: 'access-denied' } });
  });

  it('keeps refusing replays to the same gateway and serving fresh signatures while Redis is down', async () => {
    await redis.stop();
    try {
      const captured = await signed('while redis is down');
      expect((await send(a, captured)).status).toBe(200);
      expect((await send(a, captured)).status).toBe(403);
      expect((await send(b, await signed('another fresh one'))).status).toBe(200);
    } finally {
      await redis.restart();
    }
  });
});
