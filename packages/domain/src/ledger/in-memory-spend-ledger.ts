import { NovaCostError } from '../errors/nova-cost.error';
import type { SavingStrategy, SpendDimension, SpendEntry, SpendGroup, SpendLedger, SpendQuery, SpendSummary } from './spend-ledger.port';
import { SAVING_STRATEGIES } from './spend-ledger.port';

interface MutableSummary {
  calls: number;
  costUsd: number;
  savedUsd: number;
  savedByStrategy: Record<SavingStrategy, number>;
}

const emptySummary = (): MutableSummary => ({
  calls: 0,
  costUsd: 0,
  savedUsd: 0,
  savedByStrategy: Object.fromEntries(SAVING_STRATEGIES.map((s) => [s, 0])) as Record<SavingStrategy, number>,
});

function add(summary: MutableSummary, entry: SpendEntry, only?: SavingStrategy): void {
  summary.calls += 1;
  summary.costUsd += entry.costUsd;
  for (const s of entry.savings) {
    if (only && s.strategy !== only) continue;
    summary.savedUsd += s.usd;
    summary.savedByStrategy[s.strategy] += s.usd;
  }
}

const utcDay = (d: Date) => d.toISOString().slice(0, 10);

/** A ledger in process memory, for tests and the embedded default. Entries are kept until the process ends. */
export class InMemorySpendLedger implements SpendLedger {
  private readonly entries: SpendEntry[] = [];

  async record(entry: SpendEntry): Promise<void> {
    if (!Number.isFinite(entry.costUsd) || entry.costUsd < 0 || entry.savings.some((s) => !Number.isFinite(s.usd) || s.usd < 0)) {
      throw new NovaCostError('validation', 'spend entry cost and savings must be finite numbers >= 0', { details: { tenantId: entry.tenantId } });
    }
    this.entries.push(entry);
  }

  async totals(query: SpendQuery, groupBy?: SpendDimension): Promise<{ total: SpendSummary; groups: SpendGroup[] }> {
    const total = emptySummary();
    const groups = new Map<string, MutableSummary>();
    for (const e of this.entries) {
      if (!matches(e, query)) continue;
      add(total, e);
      if (!groupBy) continue;
      if (groupBy === 'strategy') {
        for (const strategy of new Set(e.savings.map((s) => s.strategy))) add(group(groups, strategy), e, strategy);
      } else {
        add(group(groups, keyOf(e, groupBy)), e);
      }
    }
    return {
      total,
      groups: [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, s]) => ({ key, ...s })),
    };
  }
}

function group(groups: Map<string, MutableSummary>, key: string): MutableSummary {
  let g = groups.get(key);
  if (!g) groups.set(key, (g = emptySummary()));
  return g;
}

function keyOf(e: SpendEntry, dim: Exclude<SpendDimension, 'strategy'>): string {
  switch (dim) {
    case 'tenant':
      return e.tenantId;
    case 'model':
      return e.modelId;
    case 'day':
      return utcDay(e.at);
    case 'category':
      return e.category;
  }
}

function matches(e: SpendEntry, q: SpendQuery): boolean {
  return (
    (q.tenantId === undefined || e.tenantId === q.tenantId) &&
    (q.modelId === undefined || e.modelId === q.modelId) &&
    (q.category === undefined || e.category === q.category) &&
    (q.from === undefined || e.at >= q.from) &&
    (q.to === undefined || e.at < q.to)
  );
}
