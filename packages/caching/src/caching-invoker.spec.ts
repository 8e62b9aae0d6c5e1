import type { ModelInvoker } from '@nova-cost/domain';
import {
  InMemorySpendLedger,
  InvokeModel,
  NovaCostError,
  requestKey,
  RuleBasedCostPolicy,
  StaticPricingCatalog,
} from '@nova-cost/domain';
import { describe, expect, it } from 'vitest';
import { CachingInvoker } from './caching-invoker';
import { InMemoryResponseStore } from './in-memory-response-store';
import type { ResponseStore } from './response-store.port';
import { lockKeyOf } from './response-store.port';
import { brokenStore } from './testing/broken-store';
import { cacheableRequest, CountingInvoker } from './testing/counting-invoker';

describe(CachingInvoker, () => {
  describe('.invoke', () => {
    describe('having a budget admission (InvokeOptions.admit)', () => {
      it('admits only calls that are billed: a miss once, a hit and a coalesced caller never', async () => {
        const next = new CountingInvoker();
        const cache = new CachingInvoker(next, new InMemoryResponseStore());
        const request = cacheableRequest();
        const admitted: string[] = [];
        const admit = (who: string) => async () => void admitted.push(who);
        await Promise.all([
          cache.invoke(request, { admit: admit('leader') }),
          cache.invoke(request, { admit: admit('joiner') }),
        ]);
        await cache.invoke(request, { admit: admit('hit') });
        await cache.invoke({ ...request, cache: 'none' }, { admit: admit('not cacheable') });
        expect(admitted).toEqual(['leader', 'not cacheable']);
        expect(next.calls).toBe(2);
      });

      it('makes no call when admission is refused, and a caller coalesced onto it (same tenant, same budget) gets the refusal', async () => {
        const next = new CountingInvoker();
        const cache = new CachingInvoker(next, new InMemoryResponseStore());
        const request = cacheableRequest();
        const refuse = async () => {
          throw new NovaCostError('budget-exceeded', 'no budget left');
        };
        const outcomes = await Promise.allSettled([
          cache.invoke(request, { admit: refuse }),
          cache.invoke(request, { admit: async () => undefined }),
        ]);
        expect(outcomes).toMatchObject([
          { status: 'rejected', reason: { kind: 'budget-exceeded' } },
          { status: 'rejected', reason: { kind: 'budget-exceeded' } },
        ]);
        expect(next.calls).toBe(0);
      });
    });

    describe('under InvokeModel with the rule-based policy', () => {
      it('lets the use case record a cache hit and coalesced answers as savings in the ledger', async () => {
        const pricing = new StaticPricingCatalog();
        const ledger = new InMemorySpendLedger();
        const policy = new RuleBasedCostPolicy({}, { pricing, ledger });
        const next = new CountingInvoker();
        const useCase = new InvokeModel({
          policy,
          invoker: new CachingInvoker(next, new InMemoryResponseStore()),
          pricing,
          ledger,
        });
        const request = cacheableRequest().requested;

        const concurrent = await Promise.all([useCase.execute(request), useCase.execute(request)]);
        const later = await useCase.execute(request);

        expect(next.calls).toBe(1);
        expect(concurrent.map((o) => o.result.cache).sort()).toEqual(['coalesced', 'miss']);
        expect(later.result.cache).toBe('hit');
        expect(later.costUsd).toBe(0);
        // Nova Pro: 1000 input × 0.8 + 500 output × 3.2 per 1M tokens
        expect(later.savedUsd).toBeCloseTo(0.0024, 12);
        const byStrategy = await ledger.totals({ tenantId: 'acme' }, 'strategy');
        expect(byStrategy.groups.map((g) => g.key).sort()).toEqual(['cache', 'coalescing']);
      });
    });

    describe('having a store that always fails', () => {
      it('goes upstream for every request, and the breaker stops calling the store', async () => {
        const next = new CountingInvoker(1);
        const cache = new CachingInvoker(next, brokenStore, { breaker: { failureThreshold: 2, openMs: 60_000 } });
        const results = await Promise.all(Array.from({ length: 10 }, () => cache.invoke(cacheableRequest())));
        expect(results.every((r) => r.cache === 'miss')).toBe(true);
        expect(next.calls).toBe(10);
        expect(cache.stats().errors).toBeGreaterThanOrEqual(10);
      });
    });

    describe('having a store that fails one poll while another process holds the lock', () => {
      it("keeps waiting for the holder's answer instead of calling upstream beside it", async () => {
        const shared = new InMemoryResponseStore();
        let answer!: () => void;
        const mayAnswer = new Promise<void>((resolve) => (answer = resolve));
        const holderNext = new CountingInvoker(0);
        let called!: () => void;
        const holderCalled = new Promise<void>((resolve) => (called = resolve));
        // The holder has taken the lock once its upstream is called; it answers when the spec says so.
        const gated: ModelInvoker = {
          invoke: async (c, o) => {
            called();
            await mayAnswer;
            return holderNext.invoke(c, o);
          },
        };
        const holder = new CachingInvoker(gated, shared);
        // The waiter's store is the holder's, but its first poll (its second read-or-lock) fails, as a poll a loaded
        // store answers too late; the holder answers only then.
        let reads = 0;
        const failsFirstPoll: ResponseStore = Object.create(shared, {
          readOrLock: {
            value: (...args: Parameters<ResponseStore['readOrLock']>) => {
              if (++reads !== 2) return shared.readOrLock(...args);
              answer();
              return Promise.reject(new Error('a poll the store did not answer'));
            },
          },
        });
        const waiterNext = new CountingInvoker(0);
        const waiter = new CachingInvoker(waiterNext, failsFirstPoll, { lockPollMs: 1 });
        const request = cacheableRequest();
        const held = holder.invoke(request);
        await holderCalled;
        const result = await waiter.invoke(request);
        expect((await held).cache).toBe('miss');
        expect(result.cache).toBe('coalesced');
        expect(reads).toBeGreaterThan(2);
        expect(waiterNext.calls).toBe(0);
        expect(waiter.stats().errors).toBe(1);
      });
    });

    describe('having a store out of process', () => {
      /** `store` as a store out of process (no longer inProcess), counting the calls it gets by method. */
      const outOfProcess = (store: ResponseStore, overrides: PropertyDescriptorMap = {}) => {
        const calls: string[] = [];
        const counted: PropertyDescriptorMap = { inProcess: { value: false } };
        for (const name of ['get', 'readOrLock', 'tryLock', 'setAndUnlock', 'set', 'unlock'] as const) {
          const own = overrides[name]?.value as ((...args: unknown[]) => unknown) | undefined;
          counted[name] = {
            value: (...args: unknown[]) => {
              calls.push(name);
              return own ? own(...args) : (store[name] as (...a: unknown[]) => unknown).apply(store, args);
            },
          };
        }
        return { store: Object.create(store, counted) as ResponseStore, calls };
      };

      it('reads once before a miss goes upstream (the read takes the lock), and serves a hit from that one read', async () => {
        const { store, calls } = outOfProcess(new InMemoryResponseStore());
        const cache = new CachingInvoker(new CountingInvoker(), store, { hotMaxBytes: 0 });
        const request = cacheableRequest();
        expect((await cache.invoke(request)).cache).toBe('miss');
        await new Promise(setImmediate); // the write, sent after the answer, has landed
        expect(calls).toEqual(['readOrLock', 'setAndUnlock']);
        calls.length = 0;
        expect((await cache.invoke(request)).cache).toBe('hit');
        expect(calls).toEqual(['readOrLock']);
      });

      it('answers a miss before its entry is stored, and close() lets the write land', async () => {
        const shared = new InMemoryResponseStore();
        let land!: () => void;
        const mayLand = new Promise<void>((resolve) => (land = resolve));
        const { store } = outOfProcess(shared, {
          setAndUnlock: {
            value: async (...args: Parameters<ResponseStore['setAndUnlock']>) => {
              await mayLand;
              await shared.setAndUnlock(...args);
            },
          },
        });
        const next = new CountingInvoker();
        const cache = new CachingInvoker(next, store, { hotMaxBytes: 0 });
        const request = cacheableRequest();
        expect((await cache.invoke(request)).cache).toBe('miss'); // the write still waits
        const key = requestKey(request, request.region ?? 'us-east-1');
        expect(await shared.get(key)).toBeUndefined();
        expect(await shared.tryLock(lockKeyOf(key), 'another process', 1_000)).toBe(false); // the lock is still held
        land();
        await new Promise(setImmediate);
        expect(await shared.get(key)).toBeDefined();
        expect(await shared.tryLock(lockKeyOf(key), 'another process', 1_000)).toBe(true); // freed with the write
        expect(next.calls).toBe(1);
      });

      /** A store in another process whose writes land when `land()` is called; its writes and close in `events`. */
      const heldWrites = () => {
        let land!: () => void;
        const mayLand = new Promise<void>((resolve) => (land = resolve));
        const events: string[] = [];
        const shared = new InMemoryResponseStore();
        const { store } = outOfProcess(shared, {
          setAndUnlock: {
            value: async (...args: Parameters<ResponseStore['setAndUnlock']>) => {
              await mayLand;
              await shared.setAndUnlock(...args);
              events.push('stored');
            },
          },
        });
        const closes = Object.create(store, {
          close: { value: async () => void events.push('store closed') },
        }) as ResponseStore;
        return { land, events, closes };
      };

      it('lets a write still under way land before close() closes the store', async () => {
        const { land, events, closes } = heldWrites();
        const cache = new CachingInvoker(new CountingInvoker(), closes, { hotMaxBytes: 0 });
        expect((await cache.invoke(cacheableRequest())).cache).toBe('miss');
        const closing = cache.close();
        await new Promise(setImmediate);
        expect(events).toEqual([]); // close() waits for the write
        land();
        await closing;
        expect(events).toEqual(['stored', 'store closed']);
      });

      it('lets a write the store answers only after storeTimeoutMs land before close() closes the store, within its deadline', async () => {
        const { land, events, closes } = heldWrites();
        const cache = new CachingInvoker(new CountingInvoker(), closes, { hotMaxBytes: 0, storeTimeoutMs: 1 });
        expect((await cache.invoke(cacheableRequest())).cache).toBe('miss');
        expect(cache.storing).toBeGreaterThan(0);
        const closing = cache.close();
        await expect.poll(() => cache.stats().errors).toBeGreaterThan(0); // the guard gave up on the write
        expect(events).toEqual([]); // close() still waits for the store's answer
        land();
        await closing;
        expect(events).toEqual(['stored', 'store closed']);
        expect(cache.storing).toBe(0);

        // A write the store never answers holds close() up to its deadline only.
        const stuck = outOfProcess(new InMemoryResponseStore(), {
          setAndUnlock: { value: () => new Promise<void>(() => undefined) },
        }).store;
        let closed = false;
        const stuckCloses = Object.create(stuck, {
          close: { value: async () => void (closed = true) },
        }) as ResponseStore;
        const stuckCache = new CachingInvoker(new CountingInvoker(), stuckCloses, { hotMaxBytes: 0 });
        expect((await stuckCache.invoke(cacheableRequest())).cache).toBe('miss');
        await stuckCache.close(10);
        expect(closed).toBe(true);
        expect(stuckCache.storing).toBeGreaterThan(0);
      });

      it('reads once more before going upstream when the store did not answer the first read (a busy process)', async () => {
        const shared = new InMemoryResponseStore();
        const request = cacheableRequest();
        await new CachingInvoker(new CountingInvoker(), shared).invoke(request); // another process stored the answer
        let reads = 0;
        const { store } = outOfProcess(shared, {
          readOrLock: {
            value: (...args: Parameters<ResponseStore['readOrLock']>) =>
              ++reads === 1 ? Promise.reject(new Error('answered too late')) : shared.readOrLock(...args),
          },
        });
        const next = new CountingInvoker();
        const cache = new CachingInvoker(next, store, { hotMaxBytes: 0 });
        expect((await cache.invoke(request)).cache).toBe('hit');
        expect(next.calls).toBe(0);
        expect(reads).toBe(2);
      });

      it('frees the lock its read took when the caller left before the flight started', async () => {
        const shared = new InMemoryResponseStore();
        const controller = new AbortController();
        const { store } = outOfProcess(shared, {
          readOrLock: {
            value: async (...args: Parameters<ResponseStore['readOrLock']>) => {
              const found = await shared.readOrLock(...args);
              controller.abort(); // the caller leaves while its read (which took the lock) is answered
              return found;
            },
          },
        });
        const next = new CountingInvoker();
        const cache = new CachingInvoker(next, store, { hotMaxBytes: 0 });
        const request = cacheableRequest();
        await expect(cache.invoke(request, { signal: controller.signal })).rejects.toSatisfy((e) =>
          NovaCostError.is(e, 'aborted'),
        );
        await new Promise(setImmediate);
        const key = requestKey(request, request.region ?? 'us-east-1');
        expect(await shared.tryLock(lockKeyOf(key), 'another process', 1_000)).toBe(true);
        expect(next.calls).toBe(0);
      });
    });

    describe('having a non-positive TTL', () => {
      it('bypasses the cache', async () => {
        const next = new CountingInvoker(1);
        const cache = new CachingInvoker(next, new InMemoryResponseStore());
        const request = cacheableRequest({ cache: { ttlSeconds: 0 } });
        await cache.invoke(request);
        await cache.invoke(request);
        expect(next.calls).toBe(2);
        expect(cache.stats().bypass).toBe(2);
      });
    });

    describe('having a follower whose signal aborts', () => {
      it('rejects that follower with kind aborted while the leader still gets its answer', async () => {
        const next = new CountingInvoker(50);
        const cache = new CachingInvoker(next, new InMemoryResponseStore());
        const request = cacheableRequest();
        const leader = cache.invoke(request);
        const controller = new AbortController();
        const follower = cache.invoke(request, { signal: controller.signal });
        controller.abort();
        await expect(follower).rejects.toSatisfy((e) => NovaCostError.is(e, 'aborted'));
        expect((await leader).cache).toBe('miss');
      });
    });

    describe('having a leader whose signal aborts', () => {
      it('still answers the followers from the one upstream call, billed to one of them (never lost)', async () => {
        const next = new CountingInvoker(50);
        const cache = new CachingInvoker(next, new InMemoryResponseStore());
        const request = cacheableRequest();
        const controller = new AbortController();
        const leader = cache.invoke(request, { signal: controller.signal });
        await next.whenCalled(1); // the leader's call is under way (the store was read first: a miss)
        const followers = [cache.invoke(request), cache.invoke(request)];
        controller.abort();
        await expect(leader).rejects.toSatisfy((e) => NovaCostError.is(e, 'aborted'));
        // The first follower takes the call over as its own ('miss': billed to it); the other shared it.
        expect((await Promise.all(followers)).map((r) => r.cache)).toEqual(['miss', 'coalesced']);
        expect(next.calls).toBe(1);
        expect(next.aborted).toBe(0);
      });
    });

    describe('having a leader whose signal aborts, through InvokeModel', () => {
      it("records the call's cost once in the ledger, to the follower that took it over", async () => {
        const next = new CountingInvoker(50);
        const cache = new CachingInvoker(next, new InMemoryResponseStore());
        const controller = new AbortController();
        // The leader leaves right after the follower joined its call (the second call into the cache).
        let calls = 0;
        const invoker: ModelInvoker = {
          invoke: (call, options) => {
            const answer = cache.invoke(call, options);
            if ((calls += 1) === 2) controller.abort();
            return answer;
          },
        };
        const ledger = new InMemorySpendLedger();
        const pricing = new StaticPricingCatalog();
        const policy = new RuleBasedCostPolicy({}, { pricing, ledger });
        const useCase = new InvokeModel({ policy, invoker, pricing, ledger, admission: 'invoker' });
        const { cache: _, ...request } = cacheableRequest();
        const leader = useCase.execute(request, { signal: controller.signal }).catch((e: unknown) => e);
        await next.whenCalled(1);
        const follower = useCase.execute(request);
        expect(NovaCostError.is(await leader, 'aborted')).toBe(true);
        const outcome = await follower;
        expect(outcome.result.cache).toBe('miss');
        expect(outcome.costUsd).toBeGreaterThan(0);
        expect(next.calls).toBe(1);
        const { total } = await ledger.totals({});
        expect(total).toMatchObject({ calls: 1, costUsd: outcome.costUsd });
      });
    });

    describe('having a caller whose signal aborted before it called', () => {
      it('rejects it with kind aborted and calls nothing upstream', async () => {
        const next = new CountingInvoker(10);
        const cache = new CachingInvoker(next, new InMemoryResponseStore());
        await expect(cache.invoke(cacheableRequest(), { signal: AbortSignal.abort() })).rejects.toSatisfy((e) =>
          NovaCostError.is(e, 'aborted'),
        );
        expect(next.calls).toBe(0);
      });
    });

    describe('having every caller of a flight abort', () => {
      it('aborts the upstream call, and a later caller starts a fresh one', async () => {
        const next = new CountingInvoker(200);
        const cache = new CachingInvoker(next, new InMemoryResponseStore());
        const request = cacheableRequest();
        const controllers = [new AbortController(), new AbortController()];
        const callers = controllers.map((c) => cache.invoke(request, { signal: c.signal }));
        await new Promise((r) => setTimeout(r, 20));
        controllers.forEach((c) => c.abort());
        for (const caller of callers) await expect(caller).rejects.toSatisfy((e) => NovaCostError.is(e, 'aborted'));
        await expect.poll(() => next.aborted).toBe(1);

        const later = await cache.invoke(request);
        expect(later.cache).toBe('miss');
        expect(next.calls).toBe(2);
      });
    });
  });

  describe('as an AnswerCache (.lookup, .remember)', () => {
    it('answers a stored request from the cache without calling the next link, and a miss with undefined', async () => {
      const next = new CountingInvoker();
      const cache = new CachingInvoker(next, new InMemoryResponseStore(), { hotMaxBytes: 0 });
      const request = cacheableRequest();
      expect(await cache.lookup(request)).toBeUndefined();
      const answered = await cache.invoke(request);
      expect(await cache.lookup(request)).toMatchObject({ cache: 'hit', body: answered.body });
      expect(next.calls).toBe(1);
    });

    it('keeps an answer obtained elsewhere (a batch job) for the next caller', async () => {
      const next = new CountingInvoker();
      const cache = new CachingInvoker(next, new InMemoryResponseStore());
      const request = cacheableRequest();
      const usage = { inputTokens: 3, outputTokens: 4, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 };
      await cache.remember(request, {
        body: { batch: true },
        usage,
        latencyMs: 0,
        cache: 'bypass',
        modelId: request.modelId,
        billing: 'batch',
      });
      expect(await cache.invoke(request)).toMatchObject({ cache: 'hit', body: { batch: true } });
      expect(next.calls).toBe(0);
    });

    it('neither looks up nor keeps a request that is not cacheable, and fails open on a broken store', async () => {
      const request = cacheableRequest({ cache: 'none' });
      const cache = new CachingInvoker(new CountingInvoker(), new InMemoryResponseStore());
      const result = await new CountingInvoker().invoke(request);
      await cache.remember(request, result);
      expect(await cache.lookup(request)).toBeUndefined();
      expect(await new CachingInvoker(new CountingInvoker(), brokenStore).lookup(cacheableRequest())).toBeUndefined();
    });
  });

  describe('constructor', () => {
    it.each([
      [{ storeTimeoutMs: 0 }, /storeTimeoutMs must be a positive number, got 0/],
      [{ maxEntryBytes: -1 }, /maxEntryBytes must be a positive number, got -1/],
      [{ lockTtlMs: Number.NaN }, /lockTtlMs must be a positive number, got NaN/],
      [{ lockWaitMs: -5 }, /lockWaitMs must be 0 or more, got -5/],
    ])('rejects %o', (options, message) => {
      expect(() => new CachingInvoker(new CountingInvoker(), new InMemoryResponseStore(), options)).toThrow(message);
      expect(() => new CachingInvoker(new CountingInvoker(), new InMemoryResponseStore(), options)).toThrow(
        NovaCostError,
      );
    });
  });
});
