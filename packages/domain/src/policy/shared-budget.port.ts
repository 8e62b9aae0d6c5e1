/** A limit a budget hold must stay within: the spend of one UTC day or month. */
export interface BudgetLimit {
  readonly period: 'daily' | 'monthly';
  /** Start of the UTC day or month. */
  readonly start: Date;
  readonly limitUsd: number;
}

export type BudgetHoldAnswer =
  | { readonly held: true; readonly holdId: string }
  /** The limit of `period` leaves no room: `spentUsd` recorded in it, `heldUsd` held by calls in flight. */
  | {
      readonly held: false;
      readonly period: BudgetLimit['period'];
      readonly spentUsd: number;
      readonly heldUsd: number;
    };

/**
 * Budget holds shared by every process that records into the same ledger, so a fleet admits calls against one
 * account of the spend: a hold is taken only when the recorded spend, every live hold and this one stay within each
 * limit. A hold lives until the ledger writes the entry that settles it (SpendEntry.holdId), it is released, or it
 * lapses (a crashed process's holds do).
 */
export interface SharedBudget {
  /** Holds `amountUsd` for the tenant when every limit has room; rejects when the store cannot answer. */
  hold(tenantId: string, amountUsd: number, limits: readonly BudgetLimit[]): Promise<BudgetHoldAnswer>;
  /** Drops a hold whose call was not billed. */
  release(tenantId: string, holdId: string): void;
}
