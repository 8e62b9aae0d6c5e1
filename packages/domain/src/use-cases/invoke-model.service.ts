import type { Clock } from '../clock.port';
import { systemClock } from '../clock.port';
import type { InvocationRequest, InvocationResult, InvokeOptions } from '../invocation/invocation.types';
import type { ModelInvoker } from '../invocation/model-invoker.port';
import type { Saving, SpendLedger } from '../ledger/spend-ledger.port';
import { resolveModelId } from '../models/model-catalog';
import type { CostPolicy, InvocationPlan } from '../policy/cost-policy.port';
import type { PricingCatalog } from '../pricing/pricing-catalog.port';
import { NovaCostError } from '../errors/nova-cost.error';

export interface InvokeModelDeps {
  readonly policy: CostPolicy;
  readonly invoker: ModelInvoker;
  readonly pricing: PricingCatalog;
  readonly ledger: SpendLedger;
  /** Region calls are priced in when the plan names none. @default 'us-east-1' */
  readonly region?: string;
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
  /** What this call was billed. 0 for answers served from cache or coalesced, and for an unpriced model (see `unpriced`). */
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
      result = await this.deps.invoker.invoke(plan.request, { ...options, admit });
    } catch (err) {
      plan.reservation.release();
      throw err;
    }
    let costUsd = 0;
    let savings: Saving[] = [];
    let unpriced = false;
    try {
      ({ costUsd, savings } = this.price(plan, result));
    } catch (err) {
      // The answer is the caller's all the same; the call is recorded with its tokens, marked unpriced.
      if (!NovaCostError.is(err, 'unknown-price')) throw err;
      unpriced = true;
    } finally {
      plan.reservation.settle(costUsd);
    }
    const savedUsd = savings.reduce((sum, s) => sum + s.usd, 0);
    try {
      await this.deps.ledger.record({
        at: (this.deps.clock ?? systemClock).now(),
        tenantId: request.tenantId,
        modelId: resolveModelId(result.modelId).baseModelId,
        category: 'bedrock',
        costUsd,
        savings,
        ...(unpriced ? { unpriced: billedTokens(result) } : {}),
        ...(plan.reservation.holdId === undefined ? {} : { holdId: plan.reservation.holdId }),
      });
    } catch (err) {
      this.deps.onLedgerError?.(err);
    }
    return { result, plan, costUsd, savedUsd, savings, unpriced };
  }

  private price(plan: InvocationPlan, result: InvocationResult): { costUsd: number; savings: Saving[] } {
    const region = plan.request.region ?? this.deps.region ?? 'us-east-1';
    const { pricing } = this.deps;
    const onDemand = pricing.cost({ modelId: result.modelId, region, usage: result.usage });
    const savings: Saving[] = [];
    let costUsd = 0;
    if (result.source === 'cache') savings.push({ strategy: 'cache', usd: onDemand });
    else if (result.source === 'coalesced') savings.push({ strategy: 'coalescing', usd: onDemand });
    else {
      costUsd = pricing.cost({
        modelId: result.modelId,
        region,
        usage: result.usage,
        billing: result.billing ?? 'on-demand',
      });
      if (costUsd < onDemand) savings.push({ strategy: 'batching', usd: onDemand - costUsd });
    }
    if (plan.routedBy) {
      // What the same tokens would have cost on the model the caller asked for.
      const asRequested = pricing.cost({ modelId: plan.requestedModelId, region, usage: result.usage });
      if (asRequested > onDemand) savings.push({ strategy: 'routing', usd: asRequested - onDemand });
    }
    return { costUsd, savings };
  }
}

/** The tokens an answer was billed for: none when it came from the cache or another caller's call. */
function billedTokens(result: InvocationResult): { inputTokens: number; outputTokens: number } {
  if (result.source !== 'upstream') return { inputTokens: 0, outputTokens: 0 };
  const u = result.usage;
  return {
    inputTokens: u.inputTokens + u.cacheReadInputTokens + u.cacheWriteInputTokens,
    outputTokens: u.outputTokens,
  };
}
