import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import type { TestRedis } from '@nova-cost/testing';
import { startTestRedis } from '@nova-cost/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config/load-config';
import type { Gateway } from './gateway';
import { startGateway } from './gateway';
import { createLogger } from './observability/logger';

const MODEL = 'amazon.nova-lite-v1:0';
const WAITING = 'letting the answers being stored land before closing the cache';

describe('gateway shutdown with an answer still being stored in Redis', () => {
  let redis: TestRedis;
  let gateway: Gateway;
  let admin: Redis;
  const lines: string[] = [];
  const seen: Array<() => void> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      for (const notify of seen) notify();
      done();
    },
  });
  /** Resolves at the first log line holding `text` (already written or still to come). */
  const logged = (text: string): Promise<void> =>
    new Promise((resolve) => {
      const check = () => lines.some((l) => l.includes(text)) && resolve();
      seen.push(check);
      check();
    });
  const converse = (text: string) =>
    fetch(`${gateway.url}/model/${MODEL}/converse`, {
      method: 'POST',
      headers: { 'x-api-key': 'demo-key', 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: [{ text }] }], inferenceConfig: { temperature: 0 } }),
    });

  beforeAll(async () => {
    redis = await startTestRedis({ controllable: true }); // its own server: it is frozen (SIGSTOP) below
    const config = loadConfig({ REDIS_URL: redis.url, DRAIN_DEADLINE_MS: '20000' });
    gateway = await startGateway(
      // However long a busy machine takes from the freeze to the shutdown's close, the write is not given up meanwhile.
      { ...config, redis: { ...config.redis!, commandTimeoutMs: 60_000 }, port: 0 },
      { logger: createLogger('info', sink), emfIntervalMs: 0 },
    );
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    await redis?.resume();
    await gateway?.shutdown();
    admin?.disconnect();
    await redis?.close();
  });

  it(
    'lets the entry of a miss answered just before it land, with its lock freed, before it closes the store',
    { timeout: 120_000 },
    async () => {
      // The Redis connection opens in the background: wait until a repeat is a Redis hit.
      await expect
        .poll(
          async () => {
            await (await converse('warm-up')).text();
            return (await converse('warm-up')).headers.get('x-nova-cost-cache');
          },
          { interval: 200, timeout: 60_000 },
        )
        .toBe('hit');
      const bedrock = gateway.localBedrock!;
      const before = new Set(await admin.keys('nc:*'));
      const calls = bedrock.stats().calls;
      const release = bedrock.hold();
      const answer = converse('answered as the gateway stops');
      // Upstream is called only after the read that took the fetch lock.
      await expect.poll(() => bedrock.stats().calls).toBe(calls + 1);
      expect(await admin.keys('*:lock')).toHaveLength(1);
      // Frozen, Redis leaves the write sent after the answer (entry and lock release in one script) without a reply.
      await redis.pause();
      release();
      const response = await answer;
      expect(response.headers.get('x-nova-cost-cache')).toBe('miss');
      const text = (await response.json()) as { output: { message: { content: Array<{ text: string }> } } };

      const stopping = gateway.shutdown();
      const first = await Promise.race([
        stopping.then(() => 'shut down while Redis was frozen'),
        logged(WAITING).then(() => 'waiting for the write'),
      ]);
      await redis.resume();
      expect(first).toBe('waiting for the write');
      await stopping;

      const stored = await Promise.all(
        (await admin.keys('nc:*')).filter((k) => !before.has(k)).map((k) => admin.get(k).catch(() => null)),
      );
      expect(stored.filter((v) => v?.includes(text.output.message.content[0]!.text))).toHaveLength(1);
      expect(await admin.keys('*:lock')).toEqual([]);
    },
  );
});
