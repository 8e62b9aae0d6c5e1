import type { SpendEntry, SpendLedger } from '@nova-cost/domain';
import { NovaCostError, SAVING_STRATEGIES } from '@nova-cost/domain';
import { expect, it } from 'vitest';

export const spendEntry = (over: Partial<SpendEntry>): SpendEntry => ({
  at: new Date('2026-11-28T10:00:00Z'),
  tenantId: 'acme',
  modelId: 'amazon.nova-lite-v1:0',
  category: 'bedrock',
  costUsd: 0,
  savings: [],
  ...over,
});

/**
 * How every SpendLedger answers the same entries; registered inside a describe. `fresh()` gives an empty ledger
 * (for Redis: a new key prefix), so the tests do not see each other's entries.
 */
export function spendLedgerContract(fresh: () => Promise<SpendLedger>): void {
  async function seeded(): Promise<SpendLedger> {
    const ledger = await fresh();
    await ledger.record(spendEntry({ costUsd: 1 }));
    await ledger.record(spendEntry({ costUsd: 0, savings: [{ strategy: 'cache', usd: 1 }] }));
    await ledger.record(
      spendEntry({ costUsd: 0.25, modelId: 'amazon.nova-micro-v1:0', savings: [{ strategy: 'routing', usd: 0.5 }] }),
    );
    await ledger.record(
      spendEntry({ costUsd: 2, at: new Date('2026-11-27T23:59:59Z'), savings: [{ strategy: 'batching', usd: 2 }] }),
    );
    await ledger.record(spendEntry({ costUsd: 3, tenantId: 'globex', category: 'compute' }));
    return ledger;
  }

  it('sums cost and savings of a tenant with savings per strategy', async () => {
    const { total } = await (await seeded()).totals({ tenantId: 'acme' });
    expect(total).toEqual({
      calls: 4,
      costUsd: 3.25,
      savedUsd: 3.5,
      // Every strategy is listed, 0 where nothing was saved by it.
      savedByStrategy: {
        ...Object.fromEntries(SAVING_STRATEGIES.map((s) => [s, 0])),
        cache: 1,
        routing: 0.5,
        batching: 2,
      },
    });
  });

  it('groups by UTC day, model, tenant and category', async () => {
    const ledger = await seeded();
    expect((await ledger.totals({ tenantId: 'acme' }, 'day')).groups.map((g) => [g.key, g.costUsd, g.calls])).toEqual([
      ['2026-11-27', 2, 1],
      ['2026-11-28', 1.25, 3],
    ]);
    expect((await ledger.totals({}, 'model')).groups.map((g) => g.key)).toEqual([
      'amazon.nova-lite-v1:0',
      'amazon.nova-micro-v1:0',
    ]);
    expect((await ledger.totals({}, 'tenant')).groups.map((g) => [g.key, g.costUsd])).toEqual([
      ['acme', 3.25],
      ['globex', 3],
    ]);
    expect((await ledger.totals({}, 'category')).groups.map((g) => g.key)).toEqual(['bedrock', 'compute']);
  });

  it('groups by how calls were billed (batch, the on-demand tier), entries that do not say counted as standard', async () => {
    const ledger = await fresh();
    await ledger.record(spendEntry({ costUsd: 1 }));
    await ledger.record(spendEntry({ costUsd: 0.5, billing: 'batch', savings: [{ strategy: 'batching', usd: 0.5 }] }));
    await ledger.record(
      spendEntry({ costUsd: 0.5, billing: 'flex', savings: [{ strategy: 'service-tier', usd: 0.5 }] }),
    );
    await ledger.record(spendEntry({ costUsd: 1, billing: 'standard' }));
    await ledger.record(spendEntry({ costUsd: 0.25, billing: 'flex', modelId: 'amazon.nova-micro-v1:0' }));
    const { total, groups } = await ledger.totals({ tenantId: 'acme' }, 'billing');
    expect(total.costUsd).toBe(3.25);
    expect(groups.map((g) => [g.key, g.calls, g.costUsd, g.savedUsd])).toEqual([
      ['batch', 1, 0.5, 0.5],
      ['flex', 2, 0.75, 0.5],
      ['standard', 2, 2, 0],
    ]);
    // Other groupings count those calls as before.
    expect((await ledger.totals({ tenantId: 'acme' }, 'model')).groups.map((g) => [g.key, g.calls])).toEqual([
      ['amazon.nova-lite-v1:0', 4],
      ['amazon.nova-micro-v1:0', 1],
    ]);
  });

  it('keeps a call whose prompt-cache points cost more than they saved, with its negative saving', async () => {
    const ledger = await fresh();
    await ledger.record(spendEntry({ costUsd: 0.004, savings: [{ strategy: 'prompt-cache', usd: -0.001 }] }));
    await ledger.record(spendEntry({ costUsd: 0.002, savings: [{ strategy: 'prompt-cache', usd: 0.003 }] }));
    const { total } = await ledger.totals({ tenantId: 'acme' });
    expect(total.calls).toBe(2);
    expect(total.costUsd).toBeCloseTo(0.006, 12);
    expect(total.savedByStrategy['prompt-cache']).toBeCloseTo(0.002, 12);
  });

  it('groups savings by strategy, each group counting only its own saving and the calls it came from', async () => {
    const { groups } = await (await seeded()).totals({ tenantId: 'acme' }, 'strategy');
    expect(groups.map((g) => [g.key, g.savedUsd, g.calls, g.costUsd])).toEqual([
      ['batching', 2, 1, 2],
      ['cache', 1, 1, 0],
      ['routing', 0.5, 1, 0.25],
    ]);
  });

  it('filters by whole UTC days, by model and by category', async () => {
    const ledger = await seeded();
    const day = await ledger.totals({ from: new Date('2026-11-28T00:00:00Z'), to: new Date('2026-11-29T00:00:00Z') });
    expect(day.total.costUsd).toBe(4.25);
    expect((await ledger.totals({ category: 'compute' })).total.costUsd).toBe(3);
    expect((await ledger.totals({ tenantId: 'acme', modelId: 'amazon.nova-micro-v1:0' })).total).toMatchObject({
      calls: 1,
      costUsd: 0.25,
    });
  });

  it('keeps the calls of unpriced models apart with their tokens, never as cost', async () => {
    const ledger = await fresh();
    await ledger.record(spendEntry({ costUsd: 1 }));
    await ledger.record(
      spendEntry({ modelId: 'writer.palmyra-x5-v1:0', unpriced: { inputTokens: 1200, outputTokens: 300 } }),
    );
    await ledger.record(
      spendEntry({ modelId: 'writer.palmyra-x5-v1:0', unpriced: { inputTokens: 0, outputTokens: 0 } }),
    );
    const { total, groups } = await ledger.totals({ tenantId: 'acme' }, 'model');
    expect(total).toMatchObject({ calls: 3, costUsd: 1, unpriced: { calls: 2, inputTokens: 1200, outputTokens: 300 } });
    expect(groups.find((g) => g.key === 'amazon.nova-lite-v1:0')?.unpriced).toBeUndefined();
    expect(groups.find((g) => g.key === 'writer.palmyra-x5-v1:0')).toMatchObject({
      calls: 2,
      costUsd: 0,
      unpriced: { calls: 2, inputTokens: 1200, outputTokens: 300 },
    });
  });

  it('answers zeros for a tenant with no entries', async () => {
    expect((await (await seeded()).totals({ tenantId: 'nobody' })).total).toMatchObject({
      calls: 0,
      costUsd: 0,
      savedUsd: 0,
    });
  });

  it.each([
    spendEntry({ costUsd: -1 }),
    spendEntry({ costUsd: Number.NaN }),
    spendEntry({ savings: [{ strategy: 'cache', usd: -2 }] }),
  ])('refuses the entry %o with a validation error', async (bad) => {
    await expect((await fresh()).record(bad)).rejects.toSatisfy((err) => NovaCostError.is(err, 'validation'));
  });
}
