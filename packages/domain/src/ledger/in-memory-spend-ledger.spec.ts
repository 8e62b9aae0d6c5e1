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

// The behaviour every ledger shares (sums, groups, strategies, filters, refused entries) is the ledger contract in
// packages/caching/src/testing/spend-ledger.contract.ts, run against this ledger and the Redis one. Here: what only
// this ledger does, which keeps totals per minute.
describe(InMemorySpendLedger, () => {
  describe('.totals', () => {
    it('filters by whole minutes, not whole days', async () => {
      const ledger = new InMemorySpendLedger();
      await ledger.record(entry({ costUsd: 1 })); // 10:00, the range's exclusive end
      await ledger.record(entry({ costUsd: 2, at: new Date('2026-11-27T23:59:59Z') }));
      const morning = await ledger.totals({
        tenantId: 'acme',
        from: new Date('2026-11-27T23:00:00Z'),
        to: new Date('2026-11-28T10:00:00Z'),
      });
      expect(morning.total).toMatchObject({ calls: 1, costUsd: 2 });
      // 23:59:30 falls in the 23:59 minute, which the range counts whole.
      expect(
        (await ledger.totals({ tenantId: 'acme', from: new Date('2026-11-27T23:59:59.500Z') })).total,
      ).toMatchObject({ calls: 2, costUsd: 3 });
    });

    it('keeps one total per tenant, model, category and minute, however many calls it records', async () => {
      const ledger = new InMemorySpendLedger();
      for (let i = 0; i < 10_000; i++)
        await ledger.record(entry({ costUsd: 0.001, at: new Date(Date.UTC(2026, 10, 28, 10, 0, i % 60)) }));
      expect(ledger.storedTotals).toBe(1);
      expect((await ledger.totals({ tenantId: 'acme' })).total.calls).toBe(10_000);
    });
  });

  describe('.record misuse', () => {
    it('refuses a negative cost', async () => {
      await expect(new InMemorySpendLedger().record(entry({ costUsd: -1 }))).rejects.toSatisfy((err) =>
        NovaCostError.is(err, 'validation'),
      );
    });
  });
});
