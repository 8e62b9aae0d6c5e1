import type { BudgetReservation } from '../policy/cost-policy.port';

/** Holds money against a tenant's budgets for spend no call plan covers (a speech session's worst case, a guardrail check). */
export interface SessionBudget {
  /** Holds `worstCaseUsd` in this process; rejects with 'budget-exceeded' when a limit has no room for it. */
  reserve(tenantId: string, worstCaseUsd: number): Promise<BudgetReservation>;
}
