import type { GuardrailApplier, GuardrailRequest, GuardrailResult } from '@nova-cost/domain';
import { guardrailKey } from '@nova-cost/domain';
import { describe, expect, it } from 'vitest';
import { InMemoryResponseStore } from '../in-memory-response-store';
import type { ResponseStore } from '../response-store.port';
import { brokenStore } from '../testing/broken-store';
import { HeldApplier } from '../testing/held-guardrail-applier';
import { fastClock, losesSecondLockAnswer } from '../testing/lost-lock-answer';
import { CachingGuardrailApplier } from './caching-guardrail-applier';

/** A guardrail that answers every call with its number, and counts the calls. */
class CountingApplier implements GuardrailApplier {
  calls = 0;
  async apply(_request: GuardrailRequest): Promise<GuardrailResult> {
    this.calls += 1;
    return {
      body: { action: 'NONE', usage: { contentPolicyUnits: 1 }, call: this.calls },
      cache: 'bypass',
      latencyMs: 3,
    };
  }
}

/** Every pending promise callback run (the in-memory store answers on the next turns). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

const request = (text = 'check me', version = '1'): GuardrailRequest => ({
  tenantId: 'acme',
  guardrailId: 'gr1',
  guardrailVersion: version,
  body: { source: 'INPUT', content: [{ text: { text } }] },
  cache: { ttlSeconds: 60 },
});

describe(CachingGuardrailApplier, () => {
  describe('.apply', () => {
    it('calls the guardrail once per content, then answers the same content from the store', async () => {
      const next = new CountingApplier();
      const cache = new CachingGuardrailApplier(next, new InMemoryResponseStore());
      const first = await cache.apply(request());
      const second = await cache.apply(request());
      expect(second).toMatchObject({ cache: 'hit', body: first.body });
      expect(next.calls).toBe(1);
      expect(cache.stats()).toMatchObject({ hits: 1, misses: 1 });
    });

    it('keeps apart other content, another version and another tenant', async () => {
      const next = new CountingApplier();
      const cache = new CachingGuardrailApplier(next, new InMemoryResponseStore());
      await cache.apply(request());
      await cache.apply(request('other content'));
      await cache.apply(request('check me', '2'));
      await cache.apply({ ...request(), tenantId: 'globex' });
      expect(next.calls).toBe(4);
    });

    it('admits only a call that goes upstream: a miss and a request that is not cacheable, never a hit', async () => {
      const cache = new CachingGuardrailApplier(new CountingApplier(), new InMemoryResponseStore());
      const admitted: string[] = [];
      const admit = (who: string) => async () => void admitted.push(who);
      await cache.apply(request(), { admit: admit('miss') });
      await cache.apply(request(), { admit: admit('hit') });
      const { cache: _, ...uncached } = request();
      await cache.apply(uncached, { admit: admit('not cacheable') });
      expect(admitted).toEqual(['miss', 'not cacheable']);
    });

    it('fails open: a store that fails costs the cache, not the answer', async () => {
      const next = new CountingApplier();
      const cache = new CachingGuardrailApplier(next, brokenStore);
      await cache.apply(request());
      expect((await cache.apply(request())).cache).toBe('miss');
      expect(next.calls).toBe(2);
      expect(cache.stats().errors).toBeGreaterThan(0);
    });

    it('makes one upstream call for identical checks in flight at once, admitted once, the others coalesced', async () => {
      const next = new HeldApplier();
      const cache = new CachingGuardrailApplier(next, new InMemoryResponseStore());
      let admitted = 0;
      const admit = async () => void (admitted += 1);
      const calls = Array.from({ length: 10 }, () => cache.apply(request('same'), { admit }));
      const other = cache.apply({ ...request('same'), tenantId: 'globex' }, { admit });
      await settle();
      expect(next.signals).toHaveLength(2); // one per tenant
      next.answer();
      const results = await Promise.all(calls);
      expect(results.filter((r) => r.cache === 'miss')).toHaveLength(1);
      expect(results.filter((r) => r.cache === 'coalesced')).toHaveLength(9);
      expect(new Set(results.map((r) => JSON.stringify(r.body))).size).toBe(1);
      expect((await other).cache).toBe('miss');
      expect(admitted).toBe(2);
      expect(cache.stats()).toMatchObject({ misses: 2, coalesced: 9 });
      // Once answered it is stored: the next identical check is a hit, not a call.
      expect((await cache.apply(request('same'))).cache).toBe('hit');
    });

    it("keeps waiting for another process's answer when one poll of the store fails, instead of calling beside it", async () => {
      const shared = new InMemoryResponseStore();
      const held = new HeldApplier();
      const holder = new CachingGuardrailApplier(held, shared);
      const holding = holder.apply(request('polled'));
      await expect.poll(() => held.signals.length).toBe(1); // the holder took the lock and called
      // The waiter's store is the holder's, but its first poll (its second lock attempt) fails, as a poll a loaded
      // store answers too late; the holder answers only then.
      let attempts = 0;
      const failsFirstPoll: ResponseStore = Object.create(shared, {
        tryLock: {
          value: (...args: Parameters<ResponseStore['tryLock']>) => {
            if (++attempts !== 2) return shared.tryLock(...args);
            held.answer();
            return Promise.reject(new Error('a poll the store did not answer'));
          },
        },
      });
      const next = new CountingApplier();
      const waiter = new CachingGuardrailApplier(next, failsFirstPoll, { lockPollMs: 1 });
      const result = await waiter.apply(request('polled'));
      expect((await holding).cache).toBe('miss');
      expect(result.cache).toBe('coalesced');
      expect(attempts).toBeGreaterThanOrEqual(2);
      expect(next.calls).toBe(0);
    });

    it('checks at once, holding the lock, when a poll took the lock but its answer was lost (not after the lock TTL)', async () => {
      const lost = losesSecondLockAnswer(new InMemoryResponseStore());
      const next = new CountingApplier();
      const waiter = new CachingGuardrailApplier(next, lost.store, {
        lockPollMs: 1,
        lockTtlMs: 60_000,
        now: fastClock(),
      });
      expect((await waiter.apply(request('lost answer'))).cache).toBe('miss');
      expect(next.calls).toBe(1);
      expect(lost.attempts()).toBe(3); // the poll after the lost one found the lock its own
    });

    it('aborts the shared call only when every caller has left', async () => {
      const next = new HeldApplier();
      const cache = new CachingGuardrailApplier(next, new InMemoryResponseStore());
      const callers = [new AbortController(), new AbortController()];
      const calls = callers.map((c) => cache.apply(request('left'), { signal: c.signal }).catch((e: unknown) => e));
      await settle();
      callers[0]!.abort();
      await settle();
      expect(next.signals[0]!.aborted).toBe(false);
      callers[1]!.abort();
      await settle();
      expect(next.signals[0]!.aborted).toBe(true);
      for (const outcome of await Promise.all(calls)) expect(outcome).toMatchObject({ kind: 'aborted' });
      // A newcomer starts a fresh call rather than joining the abandoned one.
      const fresh = cache.apply(request('left'));
      await settle();
      expect(next.signals).toHaveLength(2);
      next.answer();
      expect((await fresh).cache).toBe('miss');
    });

    it('bills the answer to a caller that stayed when the caller that started the call left', async () => {
      const next = new HeldApplier();
      const cache = new CachingGuardrailApplier(next, new InMemoryResponseStore());
      const starter = new AbortController();
      const left = cache.apply(request('handed over'), { signal: starter.signal }).catch((e: unknown) => e);
      const stayed = [cache.apply(request('handed over')), cache.apply(request('handed over'))];
      await settle();
      starter.abort();
      expect(await left).toMatchObject({ kind: 'aborted' });
      next.answer();
      // One caller takes the call over as its own (billed, cache 'miss'); the other shared it.
      expect((await Promise.all(stayed)).map((r) => r.cache).sort()).toEqual(['coalesced', 'miss']);
      expect(next.signals[0]!.aborted).toBe(false);
    });

    it('gives every caller of a shared call its failure, and the next check calls again', async () => {
      const next = new HeldApplier();
      const cache = new CachingGuardrailApplier(next, new InMemoryResponseStore());
      const calls = [cache.apply(request('fails')), cache.apply(request('fails'))].map((p) =>
        p.catch((e: unknown) => e),
      );
      await settle();
      next.fail(new Error('throttled'));
      expect((await Promise.all(calls)).map((e) => (e as Error).message)).toEqual(['throttled', 'throttled']);
      const again = cache.apply(request('fails'));
      await settle();
      expect(next.signals).toHaveLength(2);
      next.answer();
      expect((await again).cache).toBe('miss');
    });

    it('reads a corrupt entry as a miss and replaces it', async () => {
      const store = new InMemoryResponseStore();
      const next = new CountingApplier();
      const cache = new CachingGuardrailApplier(next, store);
      await store.set(guardrailKey(request(), 'us-east-1'), '{"v":1,"body":', 60);
      expect((await cache.apply(request())).cache).toBe('miss');
      expect((await cache.apply(request())).cache).toBe('hit');
    });
  });

  it('refuses options that are not positive numbers', () => {
    expect(() => new CachingGuardrailApplier(new CountingApplier(), brokenStore, { storeTimeoutMs: 0 })).toThrow(
      /storeTimeoutMs must be a positive number/,
    );
    expect(() => new CachingGuardrailApplier(new CountingApplier(), brokenStore, { lockWaitMs: -1 })).toThrow(
      /lockWaitMs must be 0 or more/,
    );
  });
});
