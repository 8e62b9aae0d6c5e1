import type { CostPolicyRules, InvocationOutcome, InvocationRequest, PricingCatalog } from '@nova-cost/domain';
import { InvokeModel, NovaCostError, RuleBasedCostPolicy } from '@nova-cost/domain';
import type { LoggedCall } from '../logs/logged-call';
import { DayLedger } from './day-ledger';
import type { CallerContext, IdentityMap } from './identity-rules';
import type { InvokerDecision } from './replay-invoker';
import { ReplayInvoker } from './replay-invoker';
import type { ReplayUpstream } from './replay-upstream';
import { loggedUpstream } from './replay-upstream';
import { SimulatedClock } from './simulated-clock';

interface Base {
  readonly call: LoggedCall;
  readonly caller: CallerContext;
  /** The replay's time for the call (its logged time, or the time before it for a late record). */
  readonly at: number;
}

/** What happened to one logged call in the replay. */
export type ReplayedCall =
  | (Base & {
      readonly kind: 'replayed';
      /** What the call cost as logged: on-demand, on the model it was sent to. */
      readonly beforeUsd: number;
      readonly outcome: InvocationOutcome;
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
  /** @default loggedUpstream (the logged tokens, latency and stop reason) */
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
    this.invoker = new ReplayInvoker(this.clock, options.upstream ?? loggedUpstream);
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
      beforeUsd = this.options.pricing.cost({ modelId: call.modelId, region: call.region, usage: call.usage });
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
    this.invoker.expect(call.body, call);
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
      outcome,
      ...(routedUsd === undefined ? {} : { routedUsd }),
      ...(batchUsd === undefined ? {} : { batchUsd }),
      decision: this.invoker.lastDecision,
    };
  }
}
