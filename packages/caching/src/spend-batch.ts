import { randomUUID } from 'node:crypto';
import type {
  CostCategory,
  SavingStrategy,
  SpendEntry,
  SpendRow,
  StrategyTally,
  UnpricedUsage,
} from '@nova-cost/domain';
import { SAVING_STRATEGIES, spendRow } from '@nova-cost/domain';

const DAY_MS = 86_400_000;
export const epochDay = (d: Date): number => Math.floor(d.getTime() / DAY_MS);
export const isoDay = (n: number): string => new Date(n * DAY_MS).toISOString().slice(0, 10);

/** Totals of one tenant's calls sharing UTC day, model, category and billing. */
interface Cell {
  readonly day: number;
  readonly modelId: string;
  readonly category: CostCategory;
  /** SpendEntry.billing; undefined: 'standard'. */
  readonly billing?: string;
  calls: number;
  costUsd: number;
  readonly saved: Partial<Record<SavingStrategy, { usd: number; calls: number; costUsd: number }>>;
  /** Those of the calls whose model had no price, with their tokens. */
  unpriced?: { calls: number; inputTokens: number; outputTokens: number };
}

/** Increments of one stored day hash: field/value pairs, values as strings (Redis parses them). */
export interface DayIncrements {
  readonly day: number;
  readonly fields: string[];
}

/**
 * One tenant's entries since its last write, summed per day, model and category, with the budget holds they
 * settle: written to Redis by one script, once (its id makes a retry of a write whose answer was lost a no-op). Its
 * memory grows with the cells it touches, not with the calls it counts.
 */
export class SpendBatch {
  readonly id = randomUUID();
  /** Budget holds to drop when the batch is applied: settled by its entries, or released. */
  readonly releases: string[] = [];
  /** Set when a write of it was first sent: from then on it may be applied, so it never takes more entries. */
  sent = false;
  entries = 0;
  costUsd = 0;
  private readonly cells = new Map<string, Cell>();

  get cellCount(): number {
    return this.cells.size;
  }

  get empty(): boolean {
    return this.entries === 0 && this.releases.length === 0;
  }

  /** Whether the entry falls in a cell the batch already has (adding it then costs no memory). */
  has(entry: SpendEntry): boolean {
    return this.cells.has(cellKey(epochDay(entry.at), entry));
  }

  add(entry: SpendEntry): void {
    const day = epochDay(entry.at);
    const key = cellKey(day, entry);
    let cell = this.cells.get(key);
    if (!cell)
      this.cells.set(
        key,
        (cell = {
          day,
          modelId: entry.modelId,
          category: entry.category,
          ...(entry.billing === undefined ? {} : { billing: entry.billing }),
          calls: 0,
          costUsd: 0,
          saved: {},
        }),
      );
    const row = spendRow(entry);
    cell.calls += row.calls;
    cell.costUsd += row.costUsd;
    if (row.unpriced) addUnpriced((cell.unpriced ??= { calls: 0, inputTokens: 0, outputTokens: 0 }), row.unpriced);
    for (const [strategy, s] of Object.entries(row.savedByStrategy) as [SavingStrategy, StrategyTally][]) {
      const tally = (cell.saved[strategy] ??= { usd: 0, calls: 0, costUsd: 0 });
      tally.usd += s.usd;
      tally.calls += s.calls;
      tally.costUsd += s.costUsd;
    }
    this.entries += 1;
    this.costUsd += entry.costUsd;
  }

  /** The batch as rows of a tally, for totals() to count while it is not in Redis. */
  rows(tenantId: string): SpendRow[] {
    return [...this.cells.values()].map((c) => ({
      tenantId,
      modelId: c.modelId,
      category: c.category,
      ...(c.billing === undefined ? {} : { billing: c.billing }),
      day: isoDay(c.day),
      calls: c.calls,
      costUsd: c.costUsd,
      savedByStrategy: c.saved,
      ...(c.unpriced ? { unpriced: c.unpriced } : {}),
    }));
  }

  /**
   * Field increments per stored day hash (`model|category|calls` counts, the other fields USD; a call's billing rides
   * on its category as `category/billing`, so days written before billing was kept read as they were), and of the tenant's
   * running totals (`d:YYYY-MM-DD` and `m:YYYY-MM`: USD billed per UTC day and month, which budget holds read).
   */
  increments(): { days: DayIncrements[]; totals: string[] } {
    const days = new Map<number, string[]>();
    const totals = new Map<string, number>();
    for (const c of this.cells.values()) {
      let fields = days.get(c.day);
      if (!fields) days.set(c.day, (fields = []));
      const cell = `${encodeURIComponent(c.modelId)}|${categoryField(c.category, c.billing)}`;
      fields.push(`${cell}|calls`, String(c.calls));
      if (c.costUsd > 0) {
        fields.push(`${cell}|cost`, String(c.costUsd));
        const iso = isoDay(c.day);
        for (const f of [`d:${iso}`, `m:${iso.slice(0, 7)}`]) totals.set(f, (totals.get(f) ?? 0) + c.costUsd);
      }
      if (c.unpriced)
        fields.push(
          `${cell}|unpriced|calls`,
          String(c.unpriced.calls),
          `${cell}|unpriced|in`,
          String(c.unpriced.inputTokens),
          `${cell}|unpriced|out`,
          String(c.unpriced.outputTokens),
        );
      for (const strategy of SAVING_STRATEGIES) {
        const s = c.saved[strategy];
        if (!s) continue;
        fields.push(`${cell}|${strategy}|usd`, String(s.usd), `${cell}|${strategy}|calls`, String(s.calls));
        if (s.costUsd > 0) fields.push(`${cell}|${strategy}|cost`, String(s.costUsd));
      }
    }
    return {
      days: [...days.entries()].map(([day, fields]) => ({ day, fields })),
      totals: [...totals.entries()].flatMap(([f, usd]) => [f, String(usd)]),
    };
  }
}

function addUnpriced(to: { calls: number; inputTokens: number; outputTokens: number }, u: UnpricedUsage): void {
  to.calls += u.calls;
  to.inputTokens += u.inputTokens;
  to.outputTokens += u.outputTokens;
}

function cellKey(day: number, entry: Pick<SpendEntry, 'modelId' | 'category' | 'billing'>): string {
  return `${day}\u0000${entry.modelId}\u0000${entry.category}\u0000${entry.billing ?? ''}`;
}

/** The category part of a stored field: the category, then `/billing` when the entries said how they were billed. */
function categoryField(category: CostCategory, billing: string | undefined): string {
  return billing === undefined ? category : `${category}/${encodeURIComponent(billing)}`;
}

/** The rows of one stored day hash: one per model, category and billing cell. */
export function rowsOfDay(tenantId: string, day: string, hash: Record<string, string>): SpendRow[] {
  const cells = new Map<
    string,
    {
      calls: number;
      costUsd: number;
      saved: Partial<Record<SavingStrategy, { usd: number; calls: number; costUsd: number }>>;
      unpriced?: { calls: number; inputTokens: number; outputTokens: number };
    }
  >();
  for (const [field, raw] of Object.entries(hash)) {
    const parts = field.split('|');
    const value = Number(raw);
    if (!Number.isFinite(value)) continue;
    const key = `${parts[0]}|${parts[1]}`;
    let cell = cells.get(key);
    if (!cell) cells.set(key, (cell = { calls: 0, costUsd: 0, saved: {} }));
    if (parts.length === 3) {
      if (parts[2] === 'calls') cell.calls = value;
      else if (parts[2] === 'cost') cell.costUsd = value;
    } else if (parts.length === 4 && parts[2] === 'unpriced') {
      const u = (cell.unpriced ??= { calls: 0, inputTokens: 0, outputTokens: 0 });
      if (parts[3] === 'calls') u.calls = value;
      else if (parts[3] === 'in') u.inputTokens = value;
      else if (parts[3] === 'out') u.outputTokens = value;
    } else if (parts.length === 4 && (SAVING_STRATEGIES as readonly string[]).includes(parts[2] as string)) {
      const tally = (cell.saved[parts[2] as SavingStrategy] ??= { usd: 0, calls: 0, costUsd: 0 });
      if (parts[3] === 'usd') tally.usd = value;
      else if (parts[3] === 'calls') tally.calls = value;
      else if (parts[3] === 'cost') tally.costUsd = value;
    }
  }
  return [...cells.entries()].map(([key, cell]) => {
    const [model, field] = key.split('|') as [string, string];
    const [category, billing] = field.split('/') as [string, string | undefined];
    return {
      tenantId,
      modelId: decodeURIComponent(model),
      category: category as CostCategory,
      ...(billing === undefined ? {} : { billing: decodeURIComponent(billing) }),
      day,
      calls: cell.calls,
      costUsd: cell.costUsd,
      savedByStrategy: cell.saved,
      ...(cell.unpriced ? { unpriced: cell.unpriced } : {}),
    };
  });
}
