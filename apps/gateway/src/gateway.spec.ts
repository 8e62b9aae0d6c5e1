import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config/load-config';
import type { Gateway } from './gateway';
import { startGateway } from './gateway';
import { createLogger } from './observability/logger';

const silent = createLogger('silent');

describe('startGateway', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway({ ...loadConfig({}), port: 0 }, { logger: silent, emfIntervalMs: 0 });
  });
  afterAll(() => gateway.shutdown());

  describe('having no configuration (demo mode)', () => {
    it('logs one start-up line whose message tells the demo key, and no credential in any field', async () => {
      const lines: string[] = [];
      const sink = { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream;
      const g = await startGateway({ ...loadConfig({}), port: 0 }, { logger: createLogger('info', sink), emfIntervalMs: 0 });
      await g.shutdown();
      const demo = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => String(l['msg']).includes('demo mode'));
      expect(demo?.['msg']).toContain('x-api-key demo-key');
      const { msg: _msg, ...fields } = demo!;
      expect(JSON.stringify(fields)).not.toMatch(/demo-key|demo-secret|apiKey|accessKeyId/);
    });
  });

  describe('having a port already taken', () => {
    it('rejects with a configuration error naming PORT', async () => {
      await expect(startGateway({ ...loadConfig({}), port: gateway.port }, { logger: silent, emfIntervalMs: 0 })).rejects.toMatchObject({
        kind: 'configuration',
        message: expect.stringMatching(/cannot listen on 127\.0\.0\.1:\d+ \(PORT\/HOST\): EADDRINUSE/),
      });
    });
  });

  describe('.shutdown', () => {
    it('turns readiness to 503 and refuses new requests while answering the one in flight; is idempotent', async () => {
      const g = await startGateway({ ...loadConfig({}), port: 0 }, { logger: silent, emfIntervalMs: 0 });
      // Long enough that the checks below run while the request is still upstream, even on a busy machine.
      g.localBedrock!.configure({ latency: { fixedMs: 2000 } });
      const inFlight = fetch(`${g.url}/model/amazon.nova-micro-v1:0/converse`, {
        method: 'POST',
        headers: { 'x-api-key': 'demo-key', 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'slow' }] }] }),
      });
      for (const until = Date.now() + 10_000; Date.now() < until && g.localBedrock!.stats().calls === 0; ) await new Promise((r) => setTimeout(r, 10));
      const first = g.shutdown();
      expect(g.shutdown()).toBe(first);
      expect((await fetch(`${g.url}/readyz`)).status).toBe(503);
      const late = await fetch(`${g.url}/model/amazon.nova-micro-v1:0/converse`, { method: 'POST', headers: { 'x-api-key': 'demo-key' }, body: '{}' });
      expect(late.status).toBe(503);
      expect(((await late.json()) as { error: { kind: string } }).error.kind).toBe('shutting-down');
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(res.headers.get('x-nova-cost-model')).toBe('amazon.nova-micro-v1:0');
      await first;
      await expect(fetch(`${g.url}/readyz`)).rejects.toThrow();
    });
  });
});
