import type { InvocationRequest } from '@nova-cost/domain';
import { InMemorySpendLedger, InvokeModel, NovaCostError, RuleBasedCostPolicy, StaticPricingCatalog } from '@nova-cost/domain';
import { describe, expect, it } from 'vitest';
import { CachingInvoker } from './caching-invoker';
import { InMemoryResponseStore } from './in-memory-response-store';
import type { ResponseStore } from './response-store.port';
import { cacheableRequest, CountingInvoker } from './testing/counting-invoker';

/** A store whose every call fails, like a Redis that refuses connections. */
const brokenStore: ResponseStore = {
  get: () => Promise.reject(new Error('ECONNREFUSED')),
  set: () => Promise.reject(new Error('ECONNREFUSED')),
  tryLock: () => Promise.reject(new Error('ECONNREFUSED')),
  unlock: () => Promise.reject(new Error('ECONNREFUSED')),
  close: async () => undefined,
};

describe(CachingInvoker, () => {
  describe('.invoke', () => {
    describe('under InvokeModel with the rule-based policy', () => {
      it('lets the use case record a cache hit and coalesced answers as savings in the ledger', async () => {
        const pricing = new StaticPricingCatalog();
        const ledger = new InMemorySpendLedger();
        const policy = new RuleBasedCostPolicy({}, { pricing, ledger });
        const next = new CountingInvoker();
        const useCase = new InvokeModel({ policy, invoker: new CachingInvoker(next, new InMemoryResponseStore()), pricing, ledger });
        const { cache: _, ...request } = cacheableRequest();

        const concurrent = await Promise.all([useCase.execute(request), useCase.execute(request)]);
        const later = await useCase.execute(request);

        expect(next.calls).toBe(1);
        expect(concurrent.map((o) => o.result.source).sort()).toEqual(['coalesced', 'upstream']);
        expect(later.result.source).toBe('cache');
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
        expect(results.every((r) => r.source === 'upstream')).toBe(true);
        expect(next.calls).toBe(10);
        expect(cache.stats().errors).toBeGreaterThanOrEqual(10);
      });
    });

    describe('having a non-positive TTL', () => {
      it('bypasses the cache', async () => {
        const next = new CountingInvoker(1);
        const cache = new CachingInvoker(next, new InMemoryResponseStore());
        const request: InvocationRequest = cacheableRequest({ cache: { ttlSeconds: 0 } });
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
        expect((await leader).source).toBe('upstream');
      });
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
      expect(() => new CachingInvoker(new CountingInvoker(), new InMemoryResponseStore(), options)).toThrow(NovaCostError);
    });
  });
});
