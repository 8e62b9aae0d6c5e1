import { describe, expect, it } from 'vitest';
import { NovaCostError } from '../errors/nova-cost.error';
import { InMemorySpendLedger } from './in-memory-spend-ledger';
import type { SpendEntry } from './spend-ledger.port';

const entry = (over: Partial<SpendEntry>): SpendEntry => ({
  at: new Date('2026-11-28T10:00:00Z'),
  tenantId: 'acme',
  modelId: 'amazon.nova-lite-v1:0',
  category: 'bedrock',
  costUsd: 0,
  savings: [],
  ...over,
});

async function seeded(): Promise<InMemorySpendLedger> {
  const ledger = new InMemorySpendLedger();
  await ledger.record(entry({ costUsd: 1 }));
  await ledger.record(entry({ costUsd: 0, savings: [{ strategy: 'cache', usd: 1 }] }));
  await ledger.record(entry({ costUsd: 0.25, modelId: 'amazon.nova-micro-v1:0', savings: [{ strategy: 'routing', usd: 0.5 }] }));
  await ledger.record(entry({ costUsd: 2, at: new Date('2026-11-27T23:59:59Z'), savings: [{ strategy: 'batching', usd: 2 }] }));
  await ledger.record(entry({ costUsd: 3, tenantId: 'globex', category: 'compute' }));
  return ledger;
}

describe(InMemorySpendLedger, () => {
  describe('.totals', () => {
    it('sums cost and savings of a tenant with savings per strategy', async () => {
      const { total } = await (await seeded()).totals({ tenantId: 'acme' });
      expect(total).toEqual({ calls: 4, costUsd: 3.25, savedUsd: 3.5, savedByStrategy: { cache: 1, coalescing: 0, routing: 0.5, batching: 2 } });
    });

    it('groups by UTC day', async () => {
      const { groups } = await (await seeded()).totals({ tenantId: 'acme' }, 'day');
      expect(groups.map((g) => [g.key, g.costUsd, g.calls])).toEqual([
        ['2026-11-27', 2, 1],
        ['2026-11-28', 1.25, 3],
      ]);
    });

    it('groups by model, tenant and category', async () => {
      const ledger = await seeded();
      expect((await ledger.totals({}, 'model')).groups.map((g) => g.key)).toEqual(['amazon.nova-lite-v1:0', 'amazon.nova-micro-v1:0']);
      expect((await ledger.totals({}, 'tenant')).groups.map((g) => [g.key, g.costUsd])).toEqual([
        ['acme', 3.25],
        ['globex', 3],
      ]);
      expect((await ledger.totals({}, 'category')).groups.map((g) => g.key)).toEqual(['bedrock', 'compute']);
    });

    it('groups savings by strategy, each group counting only its own saving', async () => {
      const { groups } = await (await seeded()).totals({ tenantId: 'acme' }, 'strategy');
      expect(groups.map((g) => [g.key, g.savedUsd, g.calls])).toEqual([
        ['batching', 2, 1],
        ['cache', 1, 1],
        ['routing', 0.5, 1],
      ]);
    });

    it('filters by a half-open time range and by category', async () => {
      const ledger = await seeded();
      const day = await ledger.totals({ from: new Date('2026-11-28T00:00:00Z'), to: new Date('2026-11-29T00:00:00Z') });
      expect(day.total.costUsd).toBe(4.25);
      expect((await ledger.totals({ category: 'compute' })).total.costUsd).toBe(3);
    });

    it('answers zeros for a tenant with no entries', async () => {
      expect((await (await seeded()).totals({ tenantId: 'nobody' })).total).toMatchObject({ calls: 0, costUsd: 0, savedUsd: 0 });
    });
  });

  describe('.record misuse', () => {
    it.each([entry({ costUsd: -1 }), entry({ costUsd: Number.NaN }), entry({ savings: [{ strategy: 'cache', usd: -2 }] })])('refuses %o', async (e) => {
      await expect(new InMemorySpendLedger().record(e)).rejects.toSatisfy((err) => NovaCostError.is(err, 'validation'));
    });
  });
});
