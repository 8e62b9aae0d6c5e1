import { describe, expect, it } from 'vitest';
import { NovaCostError } from '../errors/nova-cost.error';
import { InMemorySpendLedger } from '../ledger/in-memory-spend-ledger';
import { BudgetGuard } from './budget-guard';
import type { BudgetHoldAnswer, BudgetLimit, SharedBudget } from './shared-budget.port';

const now = new Date('2026-11-28T10:00:00Z');

/** A fleet's shared budget kept in memory: the real one is the Redis ledger (caching package, integration specs). */
class FleetBudget implements SharedBudget {
  spentUsd = 0;
  readonly holds = new Map<string, number>();
  readonly asked: { amountUsd: number; limits: readonly BudgetLimit[] }[] = [];
  failing = false;
  private ids = 0;

  async hold(_tenantId: string, amountUsd: number, limits: readonly BudgetLimit[]): Promise<BudgetHoldAnswer> {
    this.asked.push({ amountUsd, limits });
    if (this.failing) throw new NovaCostError('upstream-unavailable', 'Redis is down');
    const heldUsd = [...this.holds.values()].reduce((a, b) => a + b, 0);
    const full = limits.find((l) => this.spentUsd + heldUsd + amountUsd > l.limitUsd);
    if (full) return { held: false, period: full.period, spentUsd: this.spentUsd, heldUsd };
    const holdId = `h${++this.ids}`;
    this.holds.set(holdId, amountUsd);
    return { held: true, holdId };
  }

  release(_tenantId: string, holdId: string): void {
    this.holds.delete(holdId);
  }
}

describe(BudgetGuard, () => {
  describe('.reserve having a shared budget', () => {
    const guard = (fleet: FleetBudget) => new BudgetGuard(new InMemorySpendLedger(), { shared: fleet });

    it("admits a call by holding its worst case in the fleet's budget, for every limit of the tenant", async () => {
      const fleet = new FleetBudget();
      const { reservation } = await guard(fleet).reserve('acme', { dailyUsd: 1, monthlyUsd: 10 }, 0.4, now);
      await reservation.admit();
      await reservation.admit(); // once
      expect(fleet.asked).toEqual([
        {
          amountUsd: 0.4,
          limits: [
            { period: 'daily', start: new Date('2026-11-28T00:00:00Z'), limitUsd: 1 },
            { period: 'monthly', start: new Date('2026-11-01T00:00:00Z'), limitUsd: 10 },
          ],
        },
      ]);
      expect(reservation.holdId).toBe('h1');
    });

    it('refuses when the fleet has no room left, naming its spend and the status of the limit', async () => {
      const fleet = new FleetBudget();
      fleet.spentUsd = 0.8;
      const { reservation } = await guard(fleet).reserve('acme', { dailyUsd: 1 }, 0.4, now);
      const refusal = await reservation.admit().catch((e: unknown) => e);
      expect(NovaCostError.is(refusal, 'budget-exceeded')).toBe(true);
      expect((refusal as NovaCostError).message).toContain('spent $0.8000');
      expect((refusal as NovaCostError).details).toMatchObject({
        tenantId: 'acme',
        period: 'daily',
        limitUsd: 1,
        retryAfterSeconds: 14 * 3600,
        onExceeded: 'retry-later',
      });
    });

    it("admits on this process's reservation alone when the shared budget cannot answer, and says so", async () => {
      const fleet = new FleetBudget();
      fleet.failing = true;
      const told: [string, unknown][] = [];
      const g = new BudgetGuard(new InMemorySpendLedger(), {
        shared: fleet,
        onSharedUnavailable: (tenantId, error) => told.push([tenantId, error]),
      });
      const { reservation } = await g.reserve('acme', { dailyUsd: 1 }, 0.4, now);
      await expect(reservation.admit()).resolves.toBeUndefined();
      expect(reservation.holdId).toBeUndefined();
      expect(told).toEqual([['acme', expect.objectContaining({ kind: 'upstream-unavailable' })]]);
    });

    it('drops the shared hold of a released call, and leaves a settled one to the ledger entry that carries it', async () => {
      const fleet = new FleetBudget();
      const g = guard(fleet);
      const released = (await g.reserve('acme', { dailyUsd: 1 }, 0.4, now)).reservation;
      const settled = (await g.reserve('acme', { dailyUsd: 1 }, 0.4, now)).reservation;
      await Promise.all([released.admit(), settled.admit()]);
      released.release();
      settled.settle(0.1);
      expect([...fleet.holds.keys()]).toEqual([settled.holdId]);
    });

    it('takes no shared hold for a tenant without a limit, nor for a call already released', async () => {
      const fleet = new FleetBudget();
      await (await guard(fleet).reserve('acme', undefined, 0.4, now)).reservation.admit();
      const { reservation } = await guard(fleet).reserve('acme', { dailyUsd: 1 }, 0.4, now);
      reservation.release();
      await reservation.admit();
      expect(fleet.asked).toEqual([]);
    });
  });
});
