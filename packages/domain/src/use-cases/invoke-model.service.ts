import type { Clock } from '../clock.port';
import type { InvocationRequest, InvocationResult, InvokeOptions } from '../invocation/invocation.types';
import type { ModelInvoker } from '../invocation/model-invoker.port';
import type { Saving, SpendLedger } from '../ledger/spend-ledger.port';
import type { CostPolicy, InvocationPlan } from '../policy/cost-policy.port';
import type { PricingCatalog } from '../pricing/pricing-catalog.port';
import { settleCall } from './price-call';

export interface InvokeModelDeps {
  readonly policy: CostPolicy;
  readonly invoker: ModelInvoker;
  readonly pricing: PricingCatalog;
  readonly ledger: SpendLedger;
  /** @default the system clock */
  readonly clock?: Clock;
  /** Told when the ledger refuses an entry; the caller still gets its answer. @default ignore */
  readonly onLedgerError?: (error: unknown) => void;
  /**
   * Who admits a call into the budget shared by the fleet. 'before-invoke': this use case, before the invoker runs
   * (every call, cache hits too, takes a hold). 'invoker': the invoker chain, through InvokeOptions.admit, right before
   * a billed call; only an outer link that calls it before every billed call may be given this (CachingInvoker does),
   * and then a cache hit takes no hold. @default 'before-invoke'
   */
  readonly admission?: 'before-invoke' | 'invoker';
}

export interface InvocationOutcome {
  readonly result: InvocationResult;
  readonly plan: InvocationPlan;
  /** What this call was billed. 0 for an answer not billed (see isBilled), and for an unpriced model (see `unpriced`). */
  readonly costUsd: number;
  /** The model has no price in the region: `costUsd` and the savings are unknown, not 0. */
  readonly unpriced: boolean;
  readonly savedUsd: number;
  readonly savings: readonly Saving[];
}

/** The use case behind every model call: plan under the cost policy, invoke, price, record. */
export class InvokeModel {
  constructor(private readonly deps: InvokeModelDeps) {}

  async execute(request: InvocationRequest, options: InvokeOptions = {}): Promise<InvocationOutcome> {
    const plan = await this.deps.policy.plan(request);
    let result: InvocationResult;
    try {
      const admit = () => plan.reservation.admit();
      if (this.deps.admission !== 'invoker') await admit();
      // The caller's signal is passed on unread: a caller that makes one only when asked (the gateway) then makes
      // none for a call the chain answers at once (a cache hit).
      result = await this.deps.invoker.invoke(plan.call, {
        admit,
        get signal() {
          return options.signal;
        },
      });
    } catch (err) {
      plan.reservation.release();
      throw err;
    }
    const { costUsd, savedUsd, savings, unpriced } = await settleCall(this.deps, plan, result);
    return { result, plan, costUsd, savedUsd, savings, unpriced };
  }
}
