import type {
  AppliedOutputCap,
  CallPrice,
  DeferredCall,
  DeferredOutcome,
  DeferredRoute,
  CostPolicyRules,
  InvocationRequest,
  InvocationResult,
  PlannedInvocation,
  PricingCatalog,
  SavingStrategy,
} from '@nova-cost/domain';
import {
  AsyncInvocations,
  asyncInvocationId,
  callerServiceTier,
  InvokeModel,
  NovaCostError,
  RuleBasedCostPolicy,
} from '@nova-cost/domain';
import type { LoggedCall } from '../logs/logged-call';
import { DayLedger } from './day-ledger';
import type { CallerContext, IdentityMap } from './identity-rules';
import type { ReplayBatchOptions } from './replay-batch-queue';
import { ReplayBatchQueue } from './replay-batch-queue';
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
  readonly planned: PlannedInvocation;
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
  /** A deferrable call sent through the async API: how the batch job queue answered it, and why not in a job. */
  readonly deferred?: { readonly route: DeferredRoute; readonly reason?: string };
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
  /** The batch job queue's settings for deferrable calls. @default the gateway's defaults (BATCH_JOB_DEFAULTS) */
  readonly batch?: ReplayBatchOptions;
}

/** A deferred call waiting in the batch queue, with what the report needs once it is answered. */
interface Waiting {
  readonly base: Base;
  readonly beforeUsd: number;
  decision: InvokerDecision;
}

/**
 * Replays logged calls, in time order, through the gateway's own use cases with its cost policy
 * (RuleBasedCostPolicy: cacheability, TTL, routing, output caps, service tiers, lanes, budgets), request key and
 * pricing; only time and the upstream are simulated. A call is answered now through InvokeModel, or, for a caller
 * the identity rules mark deferrable (a unary call: a stream's caller waits for its tokens), submitted through the
 * async API (AsyncInvocations) to a batch job queue that decides as the gateway's does (decideGroup) and answers it
 * later in simulated time: `replay` and `finish` return the calls answered by then.
 */
export class ReplayEngine {
  private readonly clock = new SimulatedClock();
  private readonly invoker: ReplayInvoker;
  private readonly useCase: InvokeModel;
  private readonly async: AsyncInvocations;
  private readonly queue: ReplayBatchQueue;
  private readonly waiting = new Map<string, Waiting>();
  private readonly answered: ReplayedCall[] = [];
  private started: Promise<void> | undefined;
  private submitted = 0;

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
    });
    this.queue = new ReplayBatchQueue((call, how) => this.answerDeferred(call, how.route), options.batch);
    this.async = new AsyncInvocations({
      policy,
      pricing: options.pricing,
      ledger,
      queue: this.queue,
      cache: this.invoker,
      clock: this.clock,
      ...(options.batch?.defaultDeadlineMs === undefined ? {} : { defaultDeadlineMs: options.batch.defaultDeadlineMs }),
      ...(options.batch?.onDemandTier === undefined ? {} : { onDemandTier: options.batch.onDemandTier }),
      onSettled: (call, outcome, price) => this.settled(call, outcome, price),
    });
  }

  /** Response-cache entries and flights held, and deferred calls waiting, for memory checks. */
  get heldKeys(): number {
    return this.invoker.heldKeys + this.queue.waiting;
  }

  /** Replays one call at its logged time; returns the calls answered by then (this one, unless it waits for a job). */
  async replay(call: LoggedCall): Promise<ReplayedCall[]> {
    await this.runQueueUntil(call.at);
    const r = await this.replayOne(call);
    if (r) this.answered.push(r);
    return this.answered.splice(0);
  }

  /** Lets simulated time run on until every deferred call is answered; returns them. */
  async finish(): Promise<ReplayedCall[]> {
    await this.runQueueUntil(Number.POSITIVE_INFINITY);
    return this.answered.splice(0);
  }

  /** The batch queue's rounds due up to `until`, each at its own time. */
  private async runQueueUntil(until: number): Promise<void> {
    for (;;) {
      const next = this.queue.nextDecisionAt();
      if (next === undefined || next > until) return;
      await this.queue.round(this.clock.advanceTo(next));
    }
  }

  private async replayOne(call: LoggedCall): Promise<ReplayedCall | undefined> {
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
    try {
      if (caller.hints?.lane === 'deferrable' && !call.streaming) {
        await this.submit(request, { base, beforeUsd, decision: { cache: 'bypass' } });
        return undefined;
      }
      const outcome = await this.useCase.execute(request);
      return {
        ...base,
        kind: 'replayed',
        beforeUsd,
        outcome: withCapSaving(this.options.pricing, call, beforeUsd, {
          planned: outcome.plan.call,
          ...(outcome.plan.routedBy ? { routedBy: outcome.plan.routedBy } : {}),
          ...(outcome.plan.outputCap ? { outputCap: outcome.plan.outputCap } : {}),
          result: outcome.result,
          costUsd: outcome.costUsd,
          savings: outcome.savings,
        }),
        ...this.routed(outcome.plan.routedBy, outcome.plan.call, outcome.result),
        decision: this.invoker.lastDecision,
      };
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
  }

  /** StartAsyncInvoke for the call: answered from the cache now, or kept by the batch queue. */
  private async submit(request: InvocationRequest, waiting: Waiting): Promise<void> {
    this.started ??= this.async.start();
    await this.started;
    const token = `r${(this.submitted += 1)}`;
    this.waiting.set(asyncInvocationId(request.tenantId, token), waiting);
    try {
      await this.async.submit({
        tenantId: request.tenantId,
        modelId: request.modelId,
        operation: request.operation,
        body: request.body,
        clientRequestToken: token,
        ...(request.hints ? { hints: request.hints } : {}),
      });
    } catch (err) {
      this.waiting.delete(asyncInvocationId(request.tenantId, token));
      throw err;
    }
  }

  /** The queue's answer to a deferred call: a job's (billed as batch), or the invoker chain's on demand. */
  private async answerDeferred(call: DeferredCall, route: 'batch' | 'on-demand'): Promise<InvocationResult> {
    const waiting = this.waiting.get(call.id);
    if (!waiting) throw new NovaCostError('internal', `the replay holds no logged call for deferred call ${call.id}`);
    this.invoker.expect(waiting.base.call);
    if (route === 'batch') {
      const { serviceTier: _tier, ...answer } = this.invoker.resultOf(call.request, waiting.base.call, 'bypass');
      return { ...answer, latencyMs: 0, billing: 'batch' };
    }
    const result = await this.invoker.invoke(call.request);
    waiting.decision = this.invoker.lastDecision;
    return result;
  }

  /** AsyncInvocations settled a deferred call: it is answered. */
  private settled(call: DeferredCall, outcome: DeferredOutcome, price: CallPrice | undefined): void {
    const waiting = this.waiting.get(call.id);
    this.waiting.delete(call.id);
    if (!waiting || !outcome.ok || !price) return;
    if (outcome.route === 'cache') waiting.decision = this.invoker.lastDecision;
    const { base, beforeUsd } = waiting;
    this.answered.push({
      ...base,
      kind: 'replayed',
      beforeUsd,
      outcome: withCapSaving(this.options.pricing, base.call, beforeUsd, {
        planned: call.request,
        ...(call.routedBy ? { routedBy: call.routedBy } : {}),
        result: outcome.result,
        costUsd: price.costUsd,
        savings: price.savings,
        deferred: { route: outcome.route, ...(outcome.reason ? { reason: outcome.reason } : {}) },
      }),
      ...this.routed(call.routedBy, call.request, outcome.result),
      decision: waiting.decision,
    });
  }

  /** For a routed call: the same tokens on the model routed to, on demand. */
  private routed(
    routedBy: string | undefined,
    planned: PlannedInvocation,
    result: InvocationResult,
  ): { routedUsd?: number } {
    if (!routedBy) return {};
    const { modelId, region } = planned;
    return { routedUsd: this.options.pricing.cost({ modelId, region, usage: result.usage }) };
  }
}

/**
 * The outcome with the output cap's saving beside the domain's: what the tokens the cap cut off would have cost, as
 * logged (the cap is the policy's first decision: routing and the rest are priced on the capped answer).
 */
function withCapSaving(pricing: PricingCatalog, call: LoggedCall, beforeUsd: number, o: ReplayOutcome): ReplayOutcome {
  if (o.result.usage.outputTokens >= call.usage.outputTokens) return o;
  const capUsd = beforeUsd - pricing.cost({ ...asLogged(call), usage: o.result.usage });
  return capUsd > 0 ? { ...o, savings: [{ strategy: 'output-cap', usd: capUsd }, ...o.savings] } : o;
}

/** How the logged call was priced: its model and region, in the tier its caller named. */
function asLogged(call: LoggedCall): { modelId: string; region: string; serviceTier?: string } {
  const tier = call.body === undefined ? undefined : callerServiceTier({ body: call.body });
  return { modelId: call.modelId, region: call.region, ...(tier === undefined ? {} : { serviceTier: tier }) };
}
