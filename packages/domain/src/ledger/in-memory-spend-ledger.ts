import type { SpendDimension, SpendEntry, SpendGroup, SpendLedger, SpendQuery, SpendSummary } from './spend-ledger.port';
import { checkSpendEntry, spendRow, tallySpend } from './spend-tally';

/** A ledger in process memory, for tests and the embedded default. Entries are kept until the process ends. */
export class InMemorySpendLedger implements SpendLedger {
  private readonly entries: SpendEntry[] = [];

  async record(entry: SpendEntry): Promise<void> {
    checkSpendEntry(entry);
    this.entries.push(entry);
  }

  async totals(query: SpendQuery, groupBy?: SpendDimension): Promise<{ total: SpendSummary; groups: SpendGroup[] }> {
    return tallySpend(
      this.entries.filter((e) => matches(e, query)).map(spendRow),
      groupBy,
    );
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
