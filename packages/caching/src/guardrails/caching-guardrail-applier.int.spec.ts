import type { GuardrailRequest } from '@nova-cost/domain';
import type { TestRedis } from '@nova-cost/testing';
import { startTestRedis } from '@nova-cost/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisResponseStore } from '../redis-response-store';
import type { ResponseStore } from '../response-store.port';
import { connected } from '../testing/caching-invoker.contract';
import { HeldApplier } from '../testing/held-guardrail-applier';
import { CachingGuardrailApplier } from './caching-guardrail-applier';

let n = 0;
const check = (): GuardrailRequest => ({
  tenantId: 'acme',
  guardrailId: 'gr1',
  guardrailVersion: '1',
  body: { source: 'INPUT', content: [{ text: { text: `across gateways ${(n += 1)} ${process.pid}` } }] },
  cache: { ttlSeconds: 60 },
});

describe('CachingGuardrailApplier across processes (two gateways over one Redis)', () => {
  let redis: TestRedis;
  const stores: ResponseStore[] = [];
  beforeAll(async () => {
    redis = await startTestRedis();
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    await redis?.close();
  });

  async function gateway(): Promise<{ upstream: HeldApplier; cache: CachingGuardrailApplier }> {
    const store = await connected(RedisResponseStore.fromUrl(redis.url, { commandTimeoutMs: 500 }));
    stores.push(store);
    const upstream = new HeldApplier();
    return { upstream, cache: new CachingGuardrailApplier(upstream, store, { storeTimeoutMs: 500, lockPollMs: 5 }) };
  }

  it("makes the second gateway wait for the first one's answer and take it at no cost", async () => {
    const [a, b] = [await gateway(), await gateway()];
    const request = check();
    const leader = a.cache.apply(request);
    await expect.poll(() => a.upstream.signals.length).toBe(1); // a holds the lock and calls upstream
    const follower = b.cache.apply(request);
    await expect.poll(() => b.cache.stats().misses).toBe(1); // b's read missed: it waits on a's lock
    a.upstream.answer();
    expect((await leader).cache).toBe('miss');
    // b never calls upstream: it takes a's answer while waiting (coalesced) or, had it reached the lock only once a
    // let go of it, from the store (cache) — at no cost either way.
    const followed = await follower;
    expect(followed.body).toEqual((await leader).body);
    expect(['coalesced', 'hit']).toContain(followed.cache);
    expect(b.upstream.signals).toHaveLength(0);
  });

  it('takes the call over when the first gateway fails without an answer', async () => {
    const [a, b] = [await gateway(), await gateway()];
    const request = check();
    const leader = a.cache.apply(request).catch((e: unknown) => e);
    await expect.poll(() => a.upstream.signals.length).toBe(1);
    const follower = b.cache.apply(request);
    await expect.poll(() => b.cache.stats().misses).toBe(1);
    a.upstream.fail(new Error('throttled'));
    expect(await leader).toMatchObject({ message: 'throttled' });
    await expect.poll(() => b.upstream.signals.length).toBe(1); // the lock went: b calls itself
    b.upstream.answer();
    expect((await follower).cache).toBe('miss');
  });
});
