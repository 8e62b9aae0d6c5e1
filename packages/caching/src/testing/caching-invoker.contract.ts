import type { InvocationResult, ModelInvoker } from '@nova-cost/domain';
import { NovaCostError, requestKey } from '@nova-cost/domain';
import { afterAll, expect, it } from 'vitest';
import { CachingInvoker } from '../caching-invoker';
import type { CachingInvokerOptions } from '../caching-invoker.options';
import { decodeEnvelope } from '../response-envelope';
import type { RedisConnectOptions } from '../redis-connection';
import type { ResponseStore } from '../response-store.port';
import { lockKeyOf } from '../response-store.port';
import { cacheableRequest, CountingInvoker } from './counting-invoker';

/** What the shared Redis suite needs from a single node or a cluster. */
export interface RedisSuiteEnv {
  /** A store on a new, ready connection (its ioredis commandTimeout 200 ms unless `connect` says otherwise). */
  newStore(connect?: RedisConnectOptions): Promise<ResponseStore>;
  rawGet(key: string): Promise<string | null>;
  rawSet(key: string, value: string): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
}

/** Resolves with `store` once it answers a command (stores connect in the background); fails after 10 s. */
export async function connected(store: ResponseStore): Promise<ResponseStore> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await store.get('nova-cost:test:probe');
      return store;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`the store did not answer within 10 s: ${(error as Error).message}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** The behaviour every Redis-backed CachingInvoker must show; registered inside a describe with a live env. */
export function cachingInvokerContract(env: () => RedisSuiteEnv): void {
  const stores: ResponseStore[] = [];
  async function setup(options: CachingInvokerOptions = {}, delayMs = 30, connect?: RedisConnectOptions) {
    const store = await env().newStore(connect);
    stores.push(store);
    const next = new CountingInvoker(delayMs);
    // Without copies in process unless a test asks for them: these tests are about what the store does.
    return { next, cache: new CachingInvoker(next, store, { storeTimeoutMs: 200, hotMaxBytes: 0, ...options }) };
  }
  const keyOf = (r: ReturnType<typeof cacheableRequest>) => requestKey(r, r.region ?? 'us-east-1');

  it('serves an answer it has from process memory, without the store, until the store would expire it', async () => {
    const { next, cache } = await setup({ hotMaxBytes: 1024 * 1024 });
    const request = { ...cacheableRequest(), cache: { ttlSeconds: 1 } };
    await cache.invoke(request);
    await env().rawSet(keyOf(request), 'not an envelope'); // what the store holds no longer matters
    expect((await cache.invoke(request)).cache).toBe('hit');
    expect(cache.stats()).toMatchObject({ hits: 1, hotHits: 1, bytesRead: 0 });
    // Past the entry's TTL the copy is gone too: the store is asked (its garbage is a miss) and upstream answers.
    await expect.poll(async () => (await cache.invoke(request)).cache, { timeout: 5_000, interval: 100 }).toBe('miss');
    expect(next.calls).toBe(2);
  });

  it('serves the second identical request from the cache with the stored usage', async () => {
    const { next, cache } = await setup();
    const request = cacheableRequest();
    const first = await cache.invoke(request);
    const second = await cache.invoke(request);
    expect(first.cache).toBe('miss');
    expect(second).toMatchObject({
      cache: 'hit',
      body: first.body,
      usage: first.usage,
      modelId: first.modelId,
      stopReason: 'end_turn',
    });
    expect(next.calls).toBe(1);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, errors: 0 });
    expect(cache.stats().bytesWritten).toBeGreaterThan(0);
    expect(cache.stats().bytesRead).toBe(cache.stats().bytesWritten);
  });

  it('misses after the TTL expires', async () => {
    const { next, cache } = await setup();
    const request = cacheableRequest({ cache: { ttlSeconds: 1 } });
    await cache.invoke(request);
    await new Promise((r) => setTimeout(r, 1200));
    expect((await cache.invoke(request)).cache).toBe('miss');
    expect(next.calls).toBe(2);
  });

  it('never shares an entry between tenants or regions', async () => {
    const { next, cache } = await setup();
    const request = cacheableRequest();
    await cache.invoke(request);
    const other = await cache.invoke({ ...request, tenantId: 'globex' });
    const region = await cache.invoke({ ...request, region: 'eu-west-1' });
    expect([other.cache, region.cache]).toEqual(['miss', 'miss']);
    expect(next.calls).toBe(3);
  });

  it('treats a corrupt entry as a miss and replaces it', async () => {
    const { next, cache } = await setup();
    const request = cacheableRequest();
    await env().rawSet(keyOf(request), '{"v":1,"body":');
    expect((await cache.invoke(request)).cache).toBe('miss');
    expect(decodeEnvelope((await env().rawGet(keyOf(request))) ?? '')).toBeDefined();
    expect((await cache.invoke(request)).cache).toBe('hit');
    expect(next.calls).toBe(1);
  });

  it('does not store a response over maxEntryBytes', async () => {
    const { next, cache } = await setup({ maxEntryBytes: 4096 });
    const request = cacheableRequest({ script: { padBytes: 5000 } });
    await cache.invoke(request);
    expect((await cache.invoke(request)).cache).toBe('miss');
    expect(next.calls).toBe(2);
    expect(await env().rawGet(keyOf(request))).toBeNull();
    expect(cache.stats().notStored).toBe(2);
  });

  it('passes a call planned without the cache straight through, storing nothing', async () => {
    const { next, cache } = await setup();
    const request = cacheableRequest({ cache: 'none' });
    await cache.invoke(request);
    await cache.invoke(request);
    expect(next.calls).toBe(2);
    expect(cache.stats()).toMatchObject({ bypass: 2, hits: 0, misses: 0 });
    expect(await env().rawGet(keyOf(request))).toBeNull();
  });

  it.each(['max_tokens', 'MAX_TOKENS'])(
    'caches an answer truncated with stop reason %s (the output cap is in the key)',
    async (stopReason) => {
      const { next, cache } = await setup();
      const request = cacheableRequest({ script: { stopReason } });
      await cache.invoke(request);
      expect(await cache.invoke(request)).toMatchObject({ cache: 'hit', stopReason });
      expect(next.calls).toBe(1);
    },
  );

  it.each(['guardrail_intervened', 'content_filtered'])(
    'never caches an answer refused with stop reason %s',
    async (stopReason) => {
      const { next, cache } = await setup();
      const request = cacheableRequest({ script: { stopReason } });
      await cache.invoke(request);
      await cache.invoke(request);
      expect(next.calls).toBe(2);
    },
  );

  it('never caches an answer a fallback model served, but keeps one another profile of the model served', async () => {
    const { next, cache } = await setup();
    const fallback = cacheableRequest({ script: { servedBy: 'amazon.nova-lite-v1:0' } });
    expect((await cache.invoke(fallback)).modelId).toBe('amazon.nova-lite-v1:0');
    await cache.invoke(fallback);
    expect(next.calls).toBe(2);
    const profile = cacheableRequest({ script: { servedBy: 'us.amazon.nova-pro-v1:0' } });
    await cache.invoke(profile);
    expect(await cache.invoke(profile)).toMatchObject({ cache: 'hit' });
    expect(next.calls).toBe(3);
  });

  it('never caches an error, and passes it to the caller', async () => {
    const { next, cache } = await setup();
    const request = cacheableRequest({ script: { fail: true } });
    await expect(cache.invoke(request)).rejects.toMatchObject({ kind: 'throttled' });
    await expect(cache.invoke(request)).rejects.toMatchObject({ kind: 'throttled' });
    expect(next.calls).toBe(2);
  });

  it('makes one upstream call for 100 concurrent identical misses in one process', async () => {
    const { next, cache } = await setup();
    const request = cacheableRequest();
    const results = await Promise.all(Array.from({ length: 100 }, () => cache.invoke(request)));
    expect(next.calls).toBe(1);
    expect(results.filter((r) => r.cache === 'coalesced')).toHaveLength(99);
  });

  it('makes one upstream call for 100 concurrent identical misses across two invokers with separate connections', async () => {
    // Only what this promise depends on: a store that answers, a holder whose lock lives until it stores its answer,
    // and a wait for that answer within lockWaitMs. All three are bounds measured in wall-clock time on purpose (past
    // them a caller goes upstream, failing open), and a loaded machine exceeds any guessed figure; so the wait is
    // counted on a clock that stands still, and the store's budgets (ours, then ioredis's backstop) and the lock's
    // lifetime are far beyond a busy machine's delays, not raced against them.
    const frozen = Date.now();
    const patient = { storeTimeoutMs: 30_000, lockTtlMs: 60_000, now: () => frozen };
    const a = await setup(patient, 100, { commandTimeoutMs: 30_000 });
    const b = await setup(patient, 100, { commandTimeoutMs: 30_000 });
    const request = cacheableRequest();
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).cache.invoke(request)));
    expect(a.next.calls + b.next.calls).toBe(1);
    expect(results.filter((r) => r.cache === 'miss')).toHaveLength(1);
  });

  it('calls upstream itself after lockWaitMs when the lock holder never writes its entry', async () => {
    const { next, cache } = await setup({ lockWaitMs: 150 });
    const request = cacheableRequest();
    await env().rawSet(lockKeyOf(keyOf(request)), 'a holder that died');
    const started = performance.now();
    const result = await cache.invoke(request);
    expect(result.cache).toBe('miss');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140); // it waited for the holder first
    expect(next.calls).toBe(1);
    expect((await cache.invoke(request)).cache).toBe('hit');
  });

  it("takes the lock over as soon as its holder releases it without an entry (the holder's call failed)", async () => {
    const store = await env().newStore();
    stores.push(store);
    // The holder's call fails when the spec says so, once the waiter is waiting: no guessed duration.
    let failHolder!: () => void;
    const holderMayFail = new Promise<void>((resolve) => (failHolder = resolve));
    const failing: ModelInvoker = {
      invoke: async () => {
        await holderMayFail;
        throw new NovaCostError('upstream-unavailable', "the holder's upstream is down");
      },
    };
    const holder = new CachingInvoker(failing, store, { storeTimeoutMs: 200 });
    const waiter = await setup({ lockWaitMs: 20_000 });
    const request = cacheableRequest();
    const held = holder.invoke(request).catch((error: unknown) => error);
    // The holder has taken the lock (not a guessed 30 ms: on a busy machine the waiter could take it first).
    await expect.poll(() => env().rawGet(lockKeyOf(keyOf(request)))).not.toBeNull();
    const started = performance.now();
    const waiting = waiter.cache.invoke(request);
    failHolder();
    const result = await waiting;
    expect(await held).toMatchObject({ kind: 'upstream-unavailable' });
    expect(result.cache).toBe('miss');
    expect(waiter.next.calls).toBe(1);
    expect(performance.now() - started).toBeLessThan(5_000); // far from lockWaitMs
  });

  it('counts a lock its own token already holds as taken (an attempt whose answer a client timeout lost), and no other token can take it', async () => {
    const store = await env().newStore({ commandTimeoutMs: 30_000 });
    stores.push(store);
    const key = `nc:test:own-lock:${Math.random()}`;
    const lockKey = lockKeyOf(key);
    await env().rawSet(lockKey, 'mine'); // the SET NX of an attempt whose answer never reached its caller
    expect(await store.tryLock(lockKey, 'mine', 60_000)).toBe(true);
    expect(await store.readOrLock(key, lockKey, 'mine', 60_000)).toEqual({ locked: true });
    expect(await store.tryLock(lockKey, 'other', 60_000)).toBe(false);
    expect(await store.readOrLock(key, lockKey, 'other', 60_000)).toEqual({ locked: false });
    expect(await env().rawGet(lockKey)).toBe('mine');
    await store.unlock(lockKey, 'mine');
    expect(await env().rawGet(lockKey)).toBeNull();
  });

  it('calls at once, holding the lock, when a poll took the lock but its answer was lost (not after the lock TTL)', async () => {
    const store = await env().newStore({ commandTimeoutMs: 30_000 });
    stores.push(store);
    const request = cacheableRequest();
    const lockKey = lockKeyOf(keyOf(request));
    await env().rawSet(lockKey, 'a holder');
    let attempts = 0;
    const losesSecondAnswer: ResponseStore = Object.create(store, {
      readOrLock: {
        value: async (...args: Parameters<ResponseStore['readOrLock']>) => {
          if (++attempts !== 2) return store.readOrLock(...args);
          await store.unlock(lockKey, 'a holder'); // the holder's call failed: its lock is free
          await store.readOrLock(...args); // Redis grants the waiter's poll...
          throw new Error('a poll answered after the client timed out'); // ...but the answer is lost
        },
      },
    });
    const next = new CountingInvoker(1);
    // A clock one second further on each reading: without the fix the waiter would give up after lockWaitMs of
    // polls and call without the lock; no wall-clock wait either way.
    let clock = 0;
    const cache = new CachingInvoker(next, losesSecondAnswer, {
      storeTimeoutMs: 30_000,
      hotMaxBytes: 0,
      lockTtlMs: 60_000,
      lockWaitMs: 20_000,
      lockPollMs: 1,
      now: () => (clock += 1_000),
    });
    const result = await cache.invoke(request);
    expect(result.cache).toBe('miss');
    expect(next.calls).toBe(1);
    expect(attempts).toBe(3); // the poll after the lost one found the lock its own
    await expect.poll(() => env().rawGet(lockKey)).toBeNull(); // held for the call, then freed with the answer
  });

  it('keeps waiting for a holder whose call outlasts lockTtlMs, since the holder refreshes its lock', async () => {
    // Three lock lifetimes of a second: the refresh has room on a busy machine, where timers fire late.
    const holder = await setup({ lockTtlMs: 1_000 }, 3_000);
    const waiter = await setup({ lockTtlMs: 1_000, lockWaitMs: 60_000 });
    const request = cacheableRequest();
    const held = holder.cache.invoke(request);
    await expect.poll(() => env().rawGet(lockKeyOf(keyOf(request)))).not.toBeNull();
    const result = await waiter.cache.invoke(request);
    expect((await held).cache).toBe('miss');
    expect(result.cache).toBe('coalesced');
    expect(waiter.next.calls).toBe(0);
  });

  it('answers every request while Redis is killed under concurrent load, and hits resume after restart', async () => {
    const { next, cache } = await setup({ breaker: { failureThreshold: 3, openMs: 200 } }, 10);
    const requests = Array.from({ length: 10 }, () => cacheableRequest());
    const load = async () => {
      const outcomes: PromiseSettledResult<InvocationResult>[] = [];
      for (let round = 0; round < 20; round++) {
        outcomes.push(...(await Promise.allSettled(requests.map((r) => cache.invoke(r)))));
      }
      return outcomes;
    };
    const running = load();
    await new Promise((r) => setTimeout(r, 60));
    await env().stop();
    const outcomes = await running;
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    expect(outcomes).toHaveLength(200);
    await env().restart();
    const probe = cacheableRequest();
    await expect
      .poll(
        async () => {
          await cache.invoke(probe);
          return (await cache.invoke(probe)).cache;
        },
        { timeout: 15_000, interval: 250 },
      )
      .toBe('hit');
    expect(next.calls).toBeGreaterThan(0);
  }, 30_000);

  it('finishes every request within the timeout budget while Redis is paused (SIGSTOP)', async () => {
    const { cache } = await setup({ storeTimeoutMs: 50 });
    await env().pause();
    try {
      const durations = await Promise.all(
        Array.from({ length: 20 }, async () => {
          const started = performance.now();
          const result = await cache.invoke(cacheableRequest());
          expect(result.cache).toBe('miss');
          return performance.now() - started;
        }),
      );
      // Each request spends at most a few 50 ms store budgets (the breaker then refuses at once) and 30 ms upstream:
      // well under a second even on a loaded machine, where a missing command timeout would hang.
      expect(Math.max(...durations)).toBeLessThan(1000);
      expect(cache.stats().errors).toBeGreaterThan(0);
    } finally {
      await env().resume();
    }
  }, 20_000);

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
  });
}
