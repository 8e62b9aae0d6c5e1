import type { TestRedis } from '@nova-cost/testing';
import { startTestRedis } from '@nova-cost/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachingInvoker } from './caching-invoker';
import { RedisResponseStore } from './redis-response-store';
import type { ResponseStore } from './response-store.port';
import { connected } from './testing/caching-invoker.contract';
import { cacheableRequest, CountingInvoker } from './testing/counting-invoker';

/** Keeps this process's CPU busy for `ms`, as a burst of parsing or signing would: nothing else runs meanwhile. */
function burnCpu(ms: number): void {
  for (const end = performance.now() + ms; performance.now() < end;);
}

describe('CachingInvoker over Redis in a busy process', () => {
  let redis: TestRedis;
  const stores: ResponseStore[] = [];
  const store = async () => {
    // The production constructor and defaults, on its own connection.
    const s = await connected(RedisResponseStore.fromUrl(redis.url));
    stores.push(s);
    return s;
  };
  beforeAll(async () => {
    redis = await startTestRedis({ controllable: true });
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await redis?.close();
  });

  it('pays no upstream call for answers the cache holds while the event loop is too busy to read them in time', async () => {
    const bodies = Array.from({ length: 20 }, (_, i) => cacheableRequest({ text: `busy-loop question ${i}` }));
    // Another gateway task stored the 20 answers.
    const warm = new CachingInvoker(new CountingInvoker(1), await store());
    await Promise.all(bodies.map((r) => warm.invoke(r)));

    const next = new CountingInvoker(1);
    const cache = new CachingInvoker(next, await store());
    const answers = [];
    // 200 requests in waves of 20; after each wave is sent, the CPU is busy for longer than storeTimeoutMs (50 ms)
    // before the process can read Redis' answers.
    for (let wave = 0; wave < 10; wave++) {
      const sent = bodies.map((r) => cache.invoke(r));
      burnCpu(120);
      answers.push(...(await Promise.all(sent)));
    }
    expect(answers).toHaveLength(200);
    expect(next.calls).toBeLessThanOrEqual(bodies.length);
  });
});
