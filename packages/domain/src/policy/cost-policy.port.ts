import type { InvocationRequest, PlannedInvocation } from '../invocation/invocation.types';
import type { AppliedOutputCap } from '../invocation/output-cap';

/** Money held against a tenant's budget while a call is in flight. */
export interface BudgetReservation {
  /** The most this call may cost, held in this process until settled. */
  readonly worstCaseUsd: number;
  /**
   * Admits the call into the budget shared by the fleet (SharedBudget), once: later calls share the first answer.
   * Rejects with 'budget-exceeded' when the fleet's spend and holds leave no room. Resolves at once without a shared
   * budget or a limit, and fails open (resolves) when the shared budget cannot answer.
   */
  admit(): Promise<void>;
  /** The shared hold admit() took, if any: the ledger entry of the call settles it (SpendEntry.holdId). */
  readonly holdId: string | undefined;
  /** Replace the hold with what the call actually cost. Later calls are no-ops. */
  settle(actualUsd: number): void;
  /** Drop the hold: the call was not made or failed. Later calls are no-ops. */
  release(): void;
}

export interface InvocationPlan {
  /** The call to make, every decision set; `call.requested` is what the caller sent. */
  readonly call: PlannedInvocation;
  /** The route rule that changed the model, if one did. */
  readonly routedBy?: string;
  /** The output cap the policy set or lowered (policy.outputCaps), if it did: the planned body carries it. */
  readonly outputCap?: AppliedOutputCap;
  /** 'soft-limit' once a budget's soft threshold is crossed. */
  readonly budget: 'ok' | 'soft-limit';
  readonly reservation: BudgetReservation;
}

/**
 * Decides, before a call, which model answers it, whether it may be cached and for how long, in which lane
 * it runs, and whether the tenant's budget allows it (a 'budget-exceeded' error when not).
 */
export interface CostPolicy {
  plan(request: InvocationRequest): Promise<InvocationPlan>;
}
