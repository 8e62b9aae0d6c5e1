import { NovaCostError } from '../errors/nova-cost.error';
import type { SpendLedger } from '../ledger/spend-ledger.port';
import type { BudgetReservation } from './cost-policy.port';
import type { TenantBudget } from './cost-policy.rules';

type Period = 'daily' | 'monthly';

interface Window {
  readonly start: Date;
  readonly end: Date;
  /** Ledger spend when this window was first seen plus what settled since. */
  settledUsd: number;
  reservedUsd: number;
}

export interface BudgetCheck {
  readonly state: 'ok' | 'soft-limit';
  readonly reservation: BudgetReservation;
}

const DEFAULT_SOFT_THRESHOLD = 0.8;
/** A day's limit lifts soon, so callers retry later; a month's does not. */
const DEFAULT_ON_EXCEEDED: Readonly<Record<Period, 429 | 402>> = { daily: 429, monthly: 402 };

function windowBounds(now: Date, period: Period): { start: Date; end: Date } {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  if (period === 'monthly') return { start: new Date(Date.UTC(y, m, 1)), end: new Date(Date.UTC(y, m + 1, 1)) };
  const d = now.getUTCDate();
  return { start: new Date(Date.UTC(y, m, d)), end: new Date(Date.UTC(y, m, d + 1)) };
}

/**
 * Reserve-then-settle budget accounting. The check and the hold happen in one synchronous step after the
 * window is loaded, so concurrent requests in a process can overspend a limit by at most what one call costs
 * beyond its reservation.
 */
export class BudgetGuard {
  private readonly windows = new Map<string, Promise<Window>>();

  constructor(private readonly ledger: SpendLedger) {}

  async reserve(tenantId: string, budget: TenantBudget | undefined, worstCaseUsd: number, now: Date): Promise<BudgetCheck> {
    const periods = (['daily', 'monthly'] as const).filter((p) => limitOf(budget, p) !== undefined);
    let windows: Window[];
    try {
      windows = await Promise.all(periods.map((p) => this.window(tenantId, p, now)));
    } catch (error) {
      if (NovaCostError.is(error)) throw error;
      throw new NovaCostError('internal', `the spend ledger could not tell tenant ${tenantId}'s spend, so the budget cannot be checked`, { cause: error });
    }
    // From here to the hold nothing awaits: the check and the reservation are atomic in this process.
    let state: BudgetCheck['state'] = 'ok';
    periods.forEach((period, i) => {
      const w = windows[i] as Window;
      const limit = limitOf(budget, period) as number;
      const committed = w.settledUsd + w.reservedUsd;
      if (committed + worstCaseUsd > limit) {
        throw new NovaCostError(
          'budget-exceeded',
          `tenant ${tenantId} would exceed its ${period} budget of $${limit} (spent $${w.settledUsd.toFixed(4)}, in flight $${w.reservedUsd.toFixed(4)}, this call up to $${worstCaseUsd.toFixed(4)})`,
          { details: { tenantId, period, limitUsd: limit, retryAfterSeconds: Math.ceil((w.end.getTime() - now.getTime()) / 1000), onExceeded: budget?.onExceeded ?? DEFAULT_ON_EXCEEDED[period] } },
        );
      }
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
    return { state, reservation: { worstCaseUsd, settle: (usd) => close(Math.max(0, usd)), release: () => close(0) } };
  }

  private window(tenantId: string, period: Period, now: Date): Promise<Window> {
    const { start, end } = windowBounds(now, period);
    const key = `${period}|${start.toISOString()}|${tenantId}`;
    let w = this.windows.get(key);
    if (!w) {
      w = this.ledger.totals({ tenantId, from: start, to: end }).then(({ total }) => ({ start, end, settledUsd: total.costUsd, reservedUsd: 0 }));
      w.catch(() => this.windows.delete(key));
      this.windows.set(key, w);
      this.forgetBefore(start, period);
    }
    return w;
  }

  private forgetBefore(start: Date, period: Period): void {
    for (const key of this.windows.keys()) {
      const [p, s] = key.split('|');
      if (p === period && s !== undefined && new Date(s) < start) this.windows.delete(key);
    }
  }
}

function limitOf(budget: TenantBudget | undefined, period: Period): number | undefined {
  return period === 'daily' ? budget?.dailyUsd : budget?.monthlyUsd;
}
