import type {
  SavingStrategy,
  SpendDimension,
  SpendEntry,
  SpendGroup,
  SpendLedger,
  SpendQuery,
  SpendRow,
  SpendSummary,
  StrategyTally,
} from '@nova-cost/domain';
import { checkSpendEntry, spendRow, tallySpend } from '@nova-cost/domain';

const DAY_MS = 86_400_000;

/**
 * The replay's spend ledger, read by the cost policy's budgets: totals per tenant, model and UTC day, so it grows
 * with days × tenants × models, not with calls. Budget windows are whole UTC days and months, which day totals
 * answer exactly; a query's range counts the days it starts in up to the last day that starts before `to`.
 */
export class DayLedger implements SpendLedger {
  private readonly rows = new Map<
    string,
    { -readonly [K in keyof SpendRow]: SpendRow[K] } & {
      savedByStrategy: Partial<Record<SavingStrategy, StrategyTally>>;
    }
  >();

  async record(entry: SpendEntry): Promise<void> {
    checkSpendEntry(entry);
    const row = spendRow(entry);
    const key = `${row.tenantId}\u0000${row.modelId}\u0000${row.category}\u0000${row.billing ?? ''}\u0000${row.day}`;
    const held = this.rows.get(key);
    if (!held) {
      this.rows.set(key, { ...row, savedByStrategy: { ...row.savedByStrategy } });
      return;
    }
    held.calls += row.calls;
    held.costUsd += row.costUsd;
    for (const [strategy, t] of Object.entries(row.savedByStrategy) as [SavingStrategy, StrategyTally][]) {
      const prev = held.savedByStrategy[strategy];
      held.savedByStrategy[strategy] = prev
        ? { usd: prev.usd + t.usd, calls: prev.calls + t.calls, costUsd: prev.costUsd + t.costUsd }
        : t;
    }
  }

  async totals(query: SpendQuery, groupBy?: SpendDimension): Promise<{ total: SpendSummary; groups: SpendGroup[] }> {
    const from =
      query.from === undefined ? Number.NEGATIVE_INFINITY : Math.floor(query.from.getTime() / DAY_MS) * DAY_MS;
    const to = query.to === undefined ? Number.POSITIVE_INFINITY : query.to.getTime();
    const rows = [...this.rows.values()].filter((r) => {
      const day = Date.parse(`${r.day}T00:00:00Z`);
      return (
        (query.tenantId === undefined || r.tenantId === query.tenantId) &&
        (query.modelId === undefined || r.modelId === query.modelId) &&
        (query.category === undefined || r.category === query.category) &&
        day >= from &&
        day < to
      );
    });
    return tallySpend(rows, groupBy);
  }
}
