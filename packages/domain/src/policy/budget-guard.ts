import { NovaCostError } from '../errors/nova-cost.error';
import type { SpendLedger } from '../ledger/spend-ledger.port';
import type { BudgetReservation } from './cost-policy.port';
import type { BudgetOutcome, TenantBudget } from './cost-policy.rules';
import type { BudgetLimit, SharedBudget } from './shared-budget.port';

type Period = 'daily' | 'monthly';

interface Window {
  readonly start: Date;
  readonly end: Date;
  /** Ledger spend at the last refresh plus what settled here since. */
  settledUsd: number;
  reservedUsd: number;
  /** When a check should read the ledger again (ms since epoch). */
  nextReadAt: number;
  refreshing: boolean;
}

export interface BudgetGuardOptions {
  /**
   * How old the ledger's spend may get before a check re-reads it (in the background; the check goes on with what
   * it has). Set it when the ledger is shared by several processes: it is how each sees the others' spend.
   * @default Infinity (the ledger is this process's own: what settles here is all there is)
   */
  readonly refreshMs?: number;
  /**
   * Holds shared by every process of the fleet: each admitted call holds its worst case there, checked atomically
   * against the fleet's recorded spend and every other hold, so the fleet as a whole stays within a limit.
   * @default none (this process's reservations only)
   */
  readonly shared?: SharedBudget;
  /**
   * Told when the shared budget could not answer a hold (its store down, or slower than its timeout) and the call was
   * admitted on this process's reservation alone: the one way a fleet can spend past a limit, by at most the cost of
   * the calls so admitted. @default ignore
   */
  readonly onSharedUnavailable?: (tenantId: string, error: unknown) => void;
}

export interface BudgetCheck {
  readonly state: 'ok' | 'soft-limit';
  readonly reservation: BudgetReservation;
}

const DEFAULT_SOFT_THRESHOLD = 0.8;
/** A day's limit lifts soon, so callers retry later; a month's does not. */
const DEFAULT_ON_EXCEEDED: Readonly<Record<Period, BudgetOutcome>> = { daily: 'retry-later', monthly: 'stop' };

const admitted = (): Promise<void> => Promise.resolve();
const nothing = (): void => undefined;

/** The reservation of a call under no limit: admitted at once, nothing held. */
function unlimited(worstCaseUsd: number): BudgetReservation {
  return { worstCaseUsd, admit: admitted, holdId: undefined, settle: nothing, release: nothing };
}

function windowBounds(now: Date, period: Period): { start: Date; end: Date } {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  if (period === 'monthly') return { start: new Date(Date.UTC(y, m, 1)), end: new Date(Date.UTC(y, m + 1, 1)) };
  const d = now.getUTCDate();
  return { start: new Date(Date.UTC(y, m, d)), end: new Date(Date.UTC(y, m, d + 1)) };
}

/**
 * Reserve-then-settle budget accounting. The check and the hold happen in one synchronous step after the window is
 * loaded, so concurrent requests in a process never commit more than a limit: spend stays within it unless a call
 * costs more than its worst case. Processes sharing a ledger see each other's settled spend within `refreshMs`; with
 * a `shared` budget, each call is also admitted against the holds of the whole fleet (reservation.admit()), so the
 * fleet stays within the limit too: past it only by the cost of calls admitted while the shared budget could not
 * answer (onSharedUnavailable tells of each).
 *
 * Fails open: when the ledger cannot be read, the check counts what this process knows (its last reading, or
 * nothing yet, plus what settled here since) and tries the ledger again a second later (or after `refreshMs`); when
 * the shared budget cannot answer, the call is admitted on this process's reservation alone.
 */
export class BudgetGuard {
  private readonly windows = new Map<string, Promise<Window>>();
  private readonly refreshMs: number;
  private readonly shared: SharedBudget | undefined;
  private readonly onSharedUnavailable: (tenantId: string, error: unknown) => void;

  constructor(
    private readonly ledger: SpendLedger,
    options: BudgetGuardOptions = {},
  ) {
    this.refreshMs = options.refreshMs ?? Number.POSITIVE_INFINITY;
    this.shared = options.shared;
    this.onSharedUnavailable = options.onSharedUnavailable ?? (() => undefined);
    if (!(this.refreshMs >= 0))
      throw new NovaCostError('configuration', `budget refreshMs must be a number >= 0, got ${options.refreshMs}`);
  }

  async reserve(
    tenantId: string,
    budget: TenantBudget | undefined,
    worstCaseUsd: number,
    now: Date,
  ): Promise<BudgetCheck> {
    const periods = (['daily', 'monthly'] as const).filter((p) => limitOf(budget, p) !== undefined);
    // No limit: nothing to check, hold or settle (most calls of most tenants, cache hits included).
    if (periods.length === 0) return { state: 'ok', reservation: unlimited(worstCaseUsd) };
    const windows = await Promise.all(periods.map((p) => this.window(tenantId, p, now)));
    // From here to the hold nothing awaits: the check and the reservation are atomic in this process.
    let state: BudgetCheck['state'] = 'ok';
    periods.forEach((period, i) => {
      const w = windows[i] as Window;
      const limit = limitOf(budget, period) as number;
      const committed = w.settledUsd + w.reservedUsd;
      if (committed + worstCaseUsd > limit)
        throw exceeded(
          tenantId,
          budget,
          period,
          limit,
          w.settledUsd,
          w.reservedUsd,
          worstCaseUsd,
          w.end,
          now,
          'this process',
        );
      if (committed + worstCaseUsd >= limit * (budget?.softThreshold ?? DEFAULT_SOFT_THRESHOLD)) state = 'soft-limit';
    });
    for (const w of windows) w.reservedUsd += worstCaseUsd;
    let open = true;
    const close = (actualUsd: number) => {
      if (!open) return;
      open = false;
      for (const w of windows) {
        w.reservedUsd -= worstCaseUsd;
        w.settledUsd += actualUsd;
      }
    };
    const limits: BudgetLimit[] = periods.map((period, i) => ({
      period,
      start: (windows[i] as Window).start,
      limitUsd: limitOf(budget, period) as number,
    }));
    let admitted: Promise<void> | undefined;
    let holdId: string | undefined;
    const admit = () =>
      (admitted ??= (async () => {
        if (!this.shared || limits.length === 0 || !open) return;
        const answer = await this.shared.hold(tenantId, worstCaseUsd, limits).catch((error: unknown) => {
          this.onSharedUnavailable(tenantId, error); // fail open: this process's reservation alone
          return undefined;
        });
        if (answer === undefined) return;
        if (!answer.held) {
          const limit = limits.find((l) => l.period === answer.period) as BudgetLimit;
          const end = windowBounds(limit.start, limit.period).end;
          throw exceeded(
            tenantId,
            budget,
            limit.period,
            limit.limitUsd,
            answer.spentUsd,
            answer.heldUsd,
            worstCaseUsd,
            end,
            now,
            'the fleet',
          );
        }
        if (open) holdId = answer.holdId;
        else this.shared.release(tenantId, answer.holdId); // released while it was being taken
      })());
    const reservation: BudgetReservation = {
      worstCaseUsd,
      admit,
      get holdId() {
        return holdId;
      },
      settle: (usd) => close(Math.max(0, usd)), // the ledger entry carrying holdId settles the shared hold
      release: () => {
        if (open && holdId !== undefined) this.shared?.release(tenantId, holdId);
        close(0);
      },
    };
    return { state, reservation };
  }

  private async window(tenantId: string, period: Period, now: Date): Promise<Window> {
    const { start, end } = windowBounds(now, period);
    const key = `${period}|${start.toISOString()}|${tenantId}`;
    let pending = this.windows.get(key);
    if (!pending) {
      const fresh: Window = { start, end, settledUsd: 0, reservedUsd: 0, nextReadAt: 0, refreshing: false };
      pending = this.refresh(fresh, tenantId, now).then(() => fresh);
      this.windows.set(key, pending);
      this.forgetBefore(start, period);
    }
    const w = await pending;
    if (!w.refreshing && now.getTime() >= w.nextReadAt) void this.refresh(w, tenantId, now);
    return w;
  }

  /** Re-reads the window's spend from the ledger; on failure keeps what it had. Never rejects. */
  private async refresh(w: Window, tenantId: string, now: Date): Promise<void> {
    w.refreshing = true;
    const settledBefore = w.settledUsd;
    try {
      const { total } = await this.ledger.totals({ tenantId, from: w.start, to: w.end });
      // The ledger's total, plus what settled here while it was read (it may not be in that answer yet).
      w.settledUsd = total.costUsd + (w.settledUsd - settledBefore);
      w.nextReadAt = now.getTime() + this.refreshMs;
    } catch {
      // Fail open: the check goes on with what this process knows, and reads again soon.
      w.nextReadAt = now.getTime() + Math.min(this.refreshMs, 1000);
    } finally {
      w.refreshing = false;
    }
  }

  private forgetBefore(start: Date, period: Period): void {
    for (const key of this.windows.keys()) {
      const [p, s] = key.split('|');
      if (p === period && s !== undefined && new Date(s) < start) this.windows.delete(key);
    }
  }
}

function exceeded(
  tenantId: string,
  budget: TenantBudget | undefined,
  period: Period,
  limit: number,
  spentUsd: number,
  heldUsd: number,
  worstCaseUsd: number,
  end: Date,
  now: Date,
  heldBy: string,
): NovaCostError {
  return new NovaCostError(
    'budget-exceeded',
    `tenant ${tenantId} would exceed its ${period} budget of $${limit} (spent $${spentUsd.toFixed(4)}, in flight in ${heldBy} $${heldUsd.toFixed(4)}, this call up to $${worstCaseUsd.toFixed(4)})`,
    {
      details: {
        tenantId,
        period,
        limitUsd: limit,
        retryAfterSeconds: Math.ceil((end.getTime() - now.getTime()) / 1000),
        onExceeded: budget?.onExceeded ?? DEFAULT_ON_EXCEEDED[period],
      },
    },
  );
}

function limitOf(budget: TenantBudget | undefined, period: Period): number | undefined {
  return period === 'daily' ? budget?.dailyUsd : budget?.monthlyUsd;
}
