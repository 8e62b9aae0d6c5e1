import type {
  CostCategory,
  SavingStrategy,
  SpendDimension,
  SpendEntry,
  SpendGroup,
  SpendLedger,
  SpendQuery,
  SpendSummary,
} from './spend-ledger.port';
import type { SpendRow, StrategyTally } from './spend-tally';
import { checkSpendEntry, spendRow, tallySpend } from './spend-tally';

const MINUTE_MS = 60_000;

interface Bucket {
  readonly tenantId: string;
  readonly modelId: string;
  readonly category: CostCategory;
  readonly billing?: string;
  /** Start of the UTC minute, ms since epoch. */
  readonly minute: number;
  calls: number;
  costUsd: number;
  savedByStrategy: Partial<Record<SavingStrategy, { usd: number; calls: number; costUsd: number }>>;
  unpriced?: { calls: number; inputTokens: number; outputTokens: number };
}

/**
 * A ledger in process memory, for tests and the embedded default. It keeps totals per tenant, model, category, billing and
 * UTC minute, not single entries, so a long-running gateway does not grow with its traffic: a query's time range
 * counts whole minutes, from the minute `from` falls in to the last minute that starts before `to`.
 */
export class InMemorySpendLedger implements SpendLedger {
  private readonly buckets = new Map<string, Bucket>();

  /** Totals kept (one per tenant, model, category and minute with calls): what this ledger's memory grows with. */
  get storedTotals(): number {
    return this.buckets.size;
  }

  async record(entry: SpendEntry): Promise<void> {
    checkSpendEntry(entry);
    const minute = Math.floor(entry.at.getTime() / MINUTE_MS) * MINUTE_MS;
    const key = `${entry.tenantId}\u0000${entry.modelId}\u0000${entry.category}\u0000${entry.billing ?? ''}\u0000${minute}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = {
        tenantId: entry.tenantId,
        modelId: entry.modelId,
        category: entry.category,
        ...(entry.billing === undefined ? {} : { billing: entry.billing }),
        minute,
        calls: 0,
        costUsd: 0,
        savedByStrategy: {},
      };
      this.buckets.set(key, bucket);
    }
    const row = spendRow(entry);
    bucket.calls += row.calls;
    bucket.costUsd += row.costUsd;
    if (row.unpriced) {
      const u = (bucket.unpriced ??= { calls: 0, inputTokens: 0, outputTokens: 0 });
      u.calls += row.unpriced.calls;
      u.inputTokens += row.unpriced.inputTokens;
      u.outputTokens += row.unpriced.outputTokens;
    }
    for (const [strategy, saved] of Object.entries(row.savedByStrategy) as [SavingStrategy, StrategyTally][]) {
      const tally = (bucket.savedByStrategy[strategy] ??= { usd: 0, calls: 0, costUsd: 0 });
      tally.usd += saved.usd;
      tally.calls += saved.calls;
      tally.costUsd += saved.costUsd;
    }
  }

  async totals(query: SpendQuery, groupBy?: SpendDimension): Promise<{ total: SpendSummary; groups: SpendGroup[] }> {
    const from =
      query.from === undefined ? Number.NEGATIVE_INFINITY : Math.floor(query.from.getTime() / MINUTE_MS) * MINUTE_MS;
    const to = query.to === undefined ? Number.POSITIVE_INFINITY : query.to.getTime();
    const rows: SpendRow[] = [];
    for (const b of this.buckets.values()) {
      if (query.tenantId !== undefined && b.tenantId !== query.tenantId) continue;
      if (query.modelId !== undefined && b.modelId !== query.modelId) continue;
      if (query.category !== undefined && b.category !== query.category) continue;
      if (b.minute < from || b.minute >= to) continue;
      rows.push({ ...b, day: new Date(b.minute).toISOString().slice(0, 10) });
    }
    return tallySpend(rows, groupBy);
  }
}
