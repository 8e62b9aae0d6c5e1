import { NovaCostError } from '../errors/nova-cost.error';
import type {
  CostCategory,
  SavingStrategy,
  SpendDimension,
  SpendEntry,
  SpendGroup,
  SpendSummary,
  UnpricedUsage,
} from './spend-ledger.port';
import { SAVING_STRATEGIES } from './spend-ledger.port';

/** What a strategy saved over a set of calls: the saving, and how many calls (costing how much) it came from. */
export interface StrategyTally {
  readonly usd: number;
  readonly calls: number;
  readonly costUsd: number;
}

/** Spend of some calls sharing tenant, model, category and UTC day: one entry, or a stored aggregate of many. */
export interface SpendRow {
  readonly tenantId: string;
  readonly modelId: string;
  readonly category: CostCategory;
  /** How the calls were billed (SpendEntry.billing). @default 'standard' */
  readonly billing?: string;
  /** UTC day, YYYY-MM-DD. */
  readonly day: string;
  readonly calls: number;
  readonly costUsd: number;
  readonly savedByStrategy: Readonly<Partial<Record<SavingStrategy, StrategyTally>>>;
  /** Those of the calls whose model had no price. */
  readonly unpriced?: UnpricedUsage;
}

interface MutableSummary {
  calls: number;
  costUsd: number;
  savedUsd: number;
  savedByStrategy: Record<SavingStrategy, number>;
  unpriced?: { calls: number; inputTokens: number; outputTokens: number };
}

const emptySummary = (): MutableSummary => ({
  calls: 0,
  costUsd: 0,
  savedUsd: 0,
  savedByStrategy: Object.fromEntries(SAVING_STRATEGIES.map((s) => [s, 0])) as Record<SavingStrategy, number>,
});

function keyOf(row: SpendRow, dimension: Exclude<SpendDimension, 'strategy'>): string {
  switch (dimension) {
    case 'tenant':
      return row.tenantId;
    case 'model':
      return row.modelId;
    case 'day':
      return row.day;
    case 'category':
      return row.category;
    case 'billing':
      return row.billing ?? 'standard';
  }
}

/**
 * Totals of `rows`, optionally grouped by one dimension. Grouped by strategy, each group counts only the calls that
 * strategy saved on, and only its own saving. Every SpendLedger answers through this, so they all sum alike.
 */
export function tallySpend(
  rows: Iterable<SpendRow>,
  groupBy?: SpendDimension,
): { total: SpendSummary; groups: SpendGroup[] } {
  const total = emptySummary();
  const groups = new Map<string, MutableSummary>();
  const group = (key: string): MutableSummary => {
    let g = groups.get(key);
    if (!g) groups.set(key, (g = emptySummary()));
    return g;
  };
  for (const row of rows) {
    const target = groupBy && groupBy !== 'strategy' ? group(keyOf(row, groupBy)) : undefined;
    for (const summary of target ? [total, target] : [total]) {
      summary.calls += row.calls;
      summary.costUsd += row.costUsd;
      if (row.unpriced && row.unpriced.calls > 0) {
        const u = (summary.unpriced ??= { calls: 0, inputTokens: 0, outputTokens: 0 });
        u.calls += row.unpriced.calls;
        u.inputTokens += row.unpriced.inputTokens;
        u.outputTokens += row.unpriced.outputTokens;
      }
    }
    for (const strategy of SAVING_STRATEGIES) {
      const saved = row.savedByStrategy[strategy];
      if (!saved) continue;
      for (const summary of target ? [total, target] : [total]) {
        summary.savedUsd += saved.usd;
        summary.savedByStrategy[strategy] += saved.usd;
      }
      if (groupBy === 'strategy') {
        const g = group(strategy);
        g.calls += saved.calls;
        g.costUsd += saved.costUsd;
        g.savedUsd += saved.usd;
        g.savedByStrategy[strategy] += saved.usd;
      }
    }
  }
  return {
    total,
    groups: [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, s]) => ({ key, ...s })),
  };
}

/**
 * Refuses an entry a ledger must not keep: a cost or saving that is not a finite number >= 0 — but for the
 * prompt-cache saving, which is net of the writes and so negative for a write never read (the call is kept, with
 * what the points cost it).
 */
export function checkSpendEntry(entry: SpendEntry): void {
  const tokens = entry.unpriced ? [entry.unpriced.inputTokens, entry.unpriced.outputTokens] : [];
  if (
    !Number.isFinite(entry.costUsd) ||
    entry.costUsd < 0 ||
    entry.savings.some((s) => !Number.isFinite(s.usd) || (s.usd < 0 && s.strategy !== 'prompt-cache')) ||
    tokens.some((t) => !Number.isFinite(t) || t < 0)
  ) {
    throw new NovaCostError(
      'validation',
      'spend entry cost, savings (but prompt-cache) and unpriced tokens must be finite numbers >= 0',
      {
        details: { tenantId: entry.tenantId },
      },
    );
  }
}

/** One entry as a row of the tally: one call, each strategy's savings summed. */
export function spendRow(entry: SpendEntry): SpendRow {
  const savedByStrategy: Partial<Record<SavingStrategy, StrategyTally>> = {};
  for (const s of entry.savings) {
    const usd = (savedByStrategy[s.strategy]?.usd ?? 0) + s.usd;
    savedByStrategy[s.strategy] = { usd, calls: 1, costUsd: entry.costUsd };
  }
  return {
    tenantId: entry.tenantId,
    modelId: entry.modelId,
    category: entry.category,
    ...(entry.billing === undefined ? {} : { billing: entry.billing }),
    day: entry.at.toISOString().slice(0, 10),
    calls: 1,
    costUsd: entry.costUsd,
    savedByStrategy,
    ...(entry.unpriced ? { unpriced: { calls: 1, ...entry.unpriced } } : {}),
  };
}
