import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config/load-config';
import type { Gateway } from './gateway';
import { startGateway } from './gateway';
import { createLogger } from './observability/logger';
import { gauge } from './testing/gateway-probes';

const MODEL = 'amazon.nova-micro-v1:0';

function configFile(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'gw-fair-')), 'nova-cost.json');
  writeFileSync(path, JSON.stringify(content));
  return path;
}

describe('gateway with tenants waiting together', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    const path = configFile({
      tenants: [
        { id: 'big', apiKeys: ['big-key-123'] },
        { id: 'small', apiKeys: ['small-key-123'] },
      ],
    });
    gateway = await startGateway(
      { ...loadConfig({ NOVA_COST_CONFIG: path }), port: 0 },
      { logger: createLogger('silent'), emfIntervalMs: 0 },
    );
  });
  afterAll(() => gateway?.shutdown());

  const send = (key: string, text: string) =>
    fetch(`${gateway.url}/model/${MODEL}/converse`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      // Not deterministic, so every request goes upstream (no cache, no coalescing).
      body: JSON.stringify({
        messages: [{ role: 'user', content: [{ text }] }],
        inferenceConfig: { temperature: 0.7 },
      }),
    });
  const queueDepth = () => gauge(gateway.url, 'nova_cost_batch_queue_depth');

  it("serves another tenant's request in the next wave, not after one tenant's whole backlog", async () => {
    const bedrock = gateway.localBedrock!;
    const release = bedrock.hold();
    const finished: string[] = [];
    const answers: Promise<number>[] = [];
    try {
      for (let i = 0; i < 60; i++)
        answers.push(send('big-key-123', `backlog ${i}`).then((r) => (finished.push('big'), r.status)));
      // 16 calls held upstream (the batcher's concurrency), the other 44 of the backlog waiting in the batcher.
      await expect.poll(queueDepth).toBe(44);
      answers.push(send('small-key-123', 'just one').then((r) => (finished.push('small'), r.status)));
      await expect.poll(queueDepth).toBe(45);
    } finally {
      release();
    }
    expect(await Promise.all(answers)).toEqual(Array(61).fill(200));
    // The held wave of 16 finishes first; the small tenant's request starts in the wave after it (a single queue
    // served it 61st).
    expect(finished.indexOf('small')).toBeLessThan(32);
  });

  it("refuses one tenant's requests past half the batching queue while the other's are still accepted", async () => {
    const g = await startGateway(
      {
        ...loadConfig({
          NOVA_COST_CONFIG: configFile({
            tenants: [
              { id: 'big', apiKeys: ['big-key-123'] },
              { id: 'small', apiKeys: ['small-key-123'] },
            ],
          }),
        }),
        port: 0,
        tuning: { batching: { concurrency: 1, maxQueueSize: 4 } },
      },
      { logger: createLogger('silent'), emfIntervalMs: 0 },
    );
    const release = g.localBedrock!.hold();
    const post = (key: string, text: string) =>
      fetch(`${g.url}/model/${MODEL}/converse`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({
          messages: [{ role: 'user', content: [{ text }] }],
          inferenceConfig: { temperature: 0.7 },
        }),
      });
    try {
      // One in flight (held), two waiting: half the queue of four.
      const accepted = [post('big-key-123', 'a'), post('big-key-123', 'b'), post('big-key-123', 'c')];
      await expect.poll(() => g.localBedrock!.stats().calls).toBe(1);
      await expect.poll(() => gauge(g.url, 'nova_cost_batch_queue_depth')).toBe(2);
      const refused = await post('big-key-123', 'd');
      expect(refused.status).toBe(429);
      expect(await refused.json()).toMatchObject({ error: { kind: 'queue-full', details: { tenantLimit: 2 } } });
      accepted.push(post('small-key-123', 'e'));
      release();
      expect((await Promise.all(accepted)).map((r) => r.status)).toEqual([200, 200, 200, 200]);
    } finally {
      release();
      await g.shutdown();
    }
  });
});
