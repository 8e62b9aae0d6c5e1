import type {
  AppliedOutputCap,
  CostPolicyRules,
  InvocationOutcome,
  InvocationRequest,
  InvocationResult,
  PricingCatalog,
  SavingStrategy,
} from '@nova-cost/domain';
import { callerServiceTier, InvokeModel, NovaCostError, RuleBasedCostPolicy } from '@nova-cost/domain';
import type { LoggedCall } from '../logs/logged-call';
import { DayLedger } from './day-ledger';
import type { CallerContext, IdentityMap } from './identity-rules';
import type { InvokerDecision } from './replay-invoker';
import { ReplayInvoker } from './replay-invoker';
import type { ReplayUpstream } from './replay-upstream';
import { plannedUpstream } from './replay-upstream';
import { SimulatedClock } from './simulated-clock';

interface Base {
  readonly call: LoggedCall;
  readonly caller: CallerContext;
  /** The replay's time for the call (its logged time, or the time before it for a late record). */
  readonly at: number;
}

/** A lever's saving on one call: a saving strategy the domain records, or the output cap's (measured by the replay). */
export interface ReplaySaving {
  readonly strategy: SavingStrategy | 'output-cap';
  readonly usd: number;
}

/** What nova-cost did with a replayed call. */
export interface ReplayOutcome {
  /** The request as the cost policy planned it (model, region, lane, cache TTL, output cap, service tier). */
  readonly planned: InvocationRequest;
  /** The route rule that changed the model, if one did. */
  readonly routedBy?: string;
  /** The output cap the policy set or lowered, if it did. */
  readonly outputCap?: AppliedOutputCap;
  /** The answer: where it came from, the tokens billed, the tier and billing it had. */
  readonly result: InvocationResult;
  /** What the call was billed: 0 when answered without a model call. */
  readonly costUsd: number;
  /** What each lever saved on it. */
  readonly savings: readonly ReplaySaving[];
}

/** What happened to one logged call in the replay. */
export type ReplayedCall =
  | (Base & {
      readonly kind: 'replayed';
      /** What the call cost as logged: on-demand (in the tier the caller named), on the model it was sent to. */
      readonly beforeUsd: number;
      readonly outcome: ReplayOutcome;
      /** For a routed call: the same tokens on the model routed to. */
      readonly routedUsd?: number;
      /** What the upstream call would cost as Bedrock batch inference, for deferrable calls that went upstream. */
      readonly batchUsd?: number;
      readonly decision: InvokerDecision;
    })
  /** A call the gateway would pass on unchanged (operation it does not serve, body not logged, refused by the policy). */
  | (Base & { readonly kind: 'passed-through'; readonly beforeUsd: number; readonly reason: string })
  /** A call its tenant's budget would have refused; its cost stays in both columns. */
  | (Base & { readonly kind: 'refused'; readonly beforeUsd: number; readonly reason: string })
  /** A failed call (errorCode): Bedrock does not bill it. */
  | (Base & { readonly kind: 'failed' })
  /** A call the price table cannot price (model or region missing). */
  | (Base & { readonly kind: 'unpriced'; readonly reason: string });

export interface ReplayEngineOptions {
  readonly rules: CostPolicyRules;
  readonly pricing: PricingCatalog;
  readonly identities: IdentityMap;
  /** @default plannedUpstream (the logged answer, with the policy's output cap and service tier applied) */
  readonly upstream?: ReplayUpstream;
}

/**
 * Replays logged calls, one at a time in time order, through the gateway's own use case (InvokeModel) with its
 * cost policy (RuleBasedCostPolicy: cacheability, TTL, routing, lanes, budgets), request key and pricing; only
 * time and the upstream are simulated.
 */
export class ReplayEngine {
  private readonly clock = new SimulatedClock();
  private readonly invoker: ReplayInvoker;
  private readonly useCase: InvokeModel;

  constructor(private readonly options: ReplayEngineOptions) {
    const ledger = new DayLedger();
    this.invoker = new ReplayInvoker(this.clock, options.upstream ?? plannedUpstream(options.pricing));
    const policy = new RuleBasedCostPolicy(options.rules, { pricing: options.pricing, ledger, clock: this.clock });
    this.useCase = new InvokeModel({
      policy,
      invoker: this.invoker,
      pricing: options.pricing,
      ledger,
      clock: this.clock,
      region: options.rules.region ?? 'us-east-1',
    });
  }

  /** Response-cache entries and flights held, for memory checks. */
  get heldKeys(): number {
    return this.invoker.heldKeys;
  }

  async replay(call: LoggedCall): Promise<ReplayedCall> {
    const caller = this.options.identities.resolve(call);
    const at = this.clock.advanceTo(call.at);
    const base = { call, caller, at };
    if (call.errorCode !== undefined) return { ...base, kind: 'failed' };
    let beforeUsd: number;
    try {
      beforeUsd = this.options.pricing.cost({ ...asLogged(call), usage: call.usage });
    } catch (err) {
      if (!NovaCostError.is(err)) throw err;
      return { ...base, kind: 'unpriced', reason: err.message };
    }
    if (call.gatewayOperation === undefined)
      return {
        ...base,
        kind: 'passed-through',
        beforeUsd,
        reason: `operation ${call.operation} is not one the gateway serves`,
      };
    if (call.body === undefined) {
      const reason = call.bodyS3Path
        ? 'request body delivered to S3 (over the inline size), not in the log'
        : 'request body not in the log (text data delivery off)';
      return { ...base, kind: 'passed-through', beforeUsd, reason };
    }
    const request: InvocationRequest = {
      tenantId: caller.tenantId,
      modelId: call.modelId,
      operation: call.gatewayOperation,
      body: call.body,
      region: call.region,
      ...(caller.hints ? { hints: caller.hints } : {}),
    };
    this.invoker.expect(call);
    let outcome: InvocationOutcome;
    try {
      outcome = await this.useCase.execute(request);
    } catch (err) {
      if (!NovaCostError.is(err)) throw err;
      if (err.kind === 'budget-exceeded')
        return { ...base, kind: 'refused', beforeUsd, reason: `${err.details['period'] ?? ''} budget`.trim() };
      // What the policy refuses (a model it does not know, a capability the model lacks) the gateway would refuse
      // too; the report keeps the call at its logged cost and says why.
      return {
        ...base,
        kind: 'passed-through',
        beforeUsd,
        reason: `the cost policy refused it: ${err.message.replace(/"[^"]*"/g, '…')}`,
      };
    }
    const planned = outcome.plan.request;
    const region = planned.region ?? call.region;
    const usage = outcome.result.usage;
    const routedUsd = outcome.plan.routedBy
      ? this.options.pricing.cost({ modelId: planned.modelId, region, usage })
      : undefined;
    const batchUsd =
      outcome.result.source === 'upstream' &&
      planned.lane === 'deferrable' &&
      (outcome.result.billing ?? 'on-demand') === 'on-demand'
        ? this.options.pricing.cost({ modelId: planned.modelId, region, usage, billing: 'batch' })
        : undefined;
    return {
      ...base,
      kind: 'replayed',
      beforeUsd,
      outcome: this.replayOutcome(call, beforeUsd, outcome),
      ...(routedUsd === undefined ? {} : { routedUsd }),
      ...(batchUsd === undefined ? {} : { batchUsd }),
      decision: this.invoker.lastDecision,
    };
  }

  /**
   * The outcome with the output cap's saving beside the domain's: what the tokens the cap cut off would have cost, as
   * logged (the cap is the policy's first decision: routing and the rest are priced on the capped answer).
   */
  private replayOutcome(call: LoggedCall, beforeUsd: number, o: InvocationOutcome): ReplayOutcome {
    const cut = o.plan.outputCap !== undefined && o.result.usage.outputTokens < call.usage.outputTokens;
    const capUsd = cut ? beforeUsd - this.options.pricing.cost({ ...asLogged(call), usage: o.result.usage }) : 0;
    return {
      planned: o.plan.request,
      ...(o.plan.routedBy ? { routedBy: o.plan.routedBy } : {}),
      ...(o.plan.outputCap ? { outputCap: o.plan.outputCap } : {}),
      result: o.result,
      costUsd: o.costUsd,
      savings: capUsd > 0 ? [{ strategy: 'output-cap', usd: capUsd }, ...o.savings] : o.savings,
    };
  }
}

/** How the logged call was priced: its model and region, in the tier its caller named. */
function asLogged(call: LoggedCall): { modelId: string; region: string; serviceTier?: string } {
  const tier = call.body === undefined ? undefined : callerServiceTier({ body: call.body });
  return { modelId: call.modelId, region: call.region, ...(tier === undefined ? {} : { serviceTier: tier }) };
}
