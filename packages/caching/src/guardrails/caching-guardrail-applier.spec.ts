import type { GuardrailApplier, GuardrailRequest, GuardrailResult } from '@nova-cost/domain';
import { guardrailKey } from '@nova-cost/domain';
import { describe, expect, it } from 'vitest';
import { InMemoryResponseStore } from '../in-memory-response-store';
import { brokenStore } from '../testing/broken-store';
import { CachingGuardrailApplier } from './caching-guardrail-applier';

/** A guardrail that answers every call with its number, and counts the calls. */
class CountingApplier implements GuardrailApplier {
  calls = 0;
  async apply(_request: GuardrailRequest): Promise<GuardrailResult> {
    this.calls += 1;
    return {
      body: { action: 'NONE', usage: { contentPolicyUnits: 1 }, call: this.calls },
      source: 'upstream',
      latencyMs: 3,
    };
  }
}

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
      expect(second).toMatchObject({ source: 'cache', body: first.body });
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
      expect((await cache.apply(request())).source).toBe('upstream');
      expect(next.calls).toBe(2);
      expect(cache.stats().errors).toBeGreaterThan(0);
    });

    it('reads a corrupt entry as a miss and replaces it', async () => {
      const store = new InMemoryResponseStore();
      const next = new CountingApplier();
      const cache = new CachingGuardrailApplier(next, store);
      await store.set(guardrailKey(request(), 'us-east-1'), '{"v":1,"body":', 60);
      expect((await cache.apply(request())).source).toBe('upstream');
      expect((await cache.apply(request())).source).toBe('cache');
    });
  });

  it('refuses options that are not positive numbers', () => {
    expect(() => new CachingGuardrailApplier(new CountingApplier(), brokenStore, { storeTimeoutMs: 0 })).toThrow(
      /storeTimeoutMs must be a positive number/,
    );
  });
});
