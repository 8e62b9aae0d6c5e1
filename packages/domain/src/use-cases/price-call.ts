import type { Clock } from '../clock.port';
import { systemClock } from '../clock.port';
import { NovaCostError } from '../errors/nova-cost.error';
import type {
  InvocationRequest,
  InvocationResult,
  PlannedInvocation,
  TokenUsage,
} from '../invocation/invocation.types';
import { cacheableShape, promptLayout } from '../invocation/prompt-layout';
import { isBilled, policyTierOf, tierNameOf } from '../invocation/invocation.types';
import type { Saving, SpendEntry, SpendLedger } from '../ledger/spend-ledger.port';
import { findModel, resolveModelId } from '../models/model-catalog';
import type { PricingCatalog } from '../pricing/pricing-catalog.port';
import type { InvocationPlan } from '../policy/cost-policy.port';

/**
 * How an answered call was billed, as the ledger keeps it: 'batch' (a batch inference job), the on-demand service tier
 * that served it ('standard' — Bedrock's default tier, echoed as 'default' —, 'flex', 'priority', 'reserved'), or
 * 'none' when no model call was billed for it (an answer from the cache, or coalesced onto another caller's call).
 */
export function billingOf(result: Pick<InvocationResult, 'cache' | 'billing' | 'serviceTier'>): string {
  if (!isBilled(result)) return 'none';
  if (result.billing === 'batch') return 'batch';
  const tier = result.serviceTier;
  return tier === undefined || tier === 'default' || tier === 'standard' ? 'standard' : tier;
}

/** What pricing needs of an answered call (a unary result, or what a finished stream came to). */
export type PricedAnswer = Pick<InvocationResult, 'modelId' | 'usage' | 'cache' | 'billing' | 'serviceTier'>;

/** What one answered call cost and saved. */
export interface CallPrice {
  /** What the call was billed: 0 for an answer not billed (see isBilled), and for an unpriced model. */
  readonly costUsd: number;
  readonly savings: Saving[];
  /** The model has no price in the region: `costUsd` and the savings are unknown, not 0. */
  readonly unpriced: boolean;
}

/** The call as planned, and the route rule that changed its model, if one did. */
export interface PricedPlan {
  /** Its region prices it; its tier prices an answer that does not say; `requested.modelId` prices a route's saving. */
  readonly call: Pick<PlannedInvocation, 'modelId' | 'region' | 'tier' | 'cachePoints' | 'profiledFrom'> & {
    /** Its body tells the caller's own cache points apart from the policy's. */
    readonly requested: Pick<InvocationRequest, 'modelId' | 'operation' | 'body'>;
  };
  readonly routedBy?: string;
}

/**
 * The cost of an answer at the billing it had (on-demand or batch) and what it saved: the whole on-demand price for a
 * cached or coalesced answer, the difference to on-demand for a batch one, and the difference to the requested model
 * for a routed one. A model without a price is marked unpriced rather than taken as $0.
 */
export function priceCall(pricing: PricingCatalog, plan: PricedPlan, result: PricedAnswer): CallPrice {
  const { region } = plan.call;
  // Batch inference has no service tier: its own discount is the price.
  const serviceTier = result.billing === 'batch' ? undefined : (result.serviceTier ?? tierNameOf(plan.call));
  const tier = serviceTier === undefined ? {} : { serviceTier };
  const policyTier = policyTierOf(plan.call) !== undefined && serviceTier !== undefined;
  try {
    const onDemand = pricing.cost({ modelId: result.modelId, region, usage: result.usage, ...tier });
    const savings: Saving[] = [];
    let costUsd = 0;
    if (result.cache === 'hit') savings.push({ strategy: 'cache', usd: onDemand });
    else if (result.cache === 'coalesced') savings.push({ strategy: 'coalescing', usd: onDemand });
    else {
      costUsd = pricing.cost({
        modelId: result.modelId,
        region,
        usage: result.usage,
        billing: result.billing ?? 'on-demand',
        ...tier,
      });
      if (costUsd < onDemand) savings.push({ strategy: 'batching', usd: onDemand - costUsd });
      const cached = result.usage.cacheReadInputTokens + result.usage.cacheWriteInputTokens;
      if (plan.call.cachePoints.length > 0 && cached > 0) {
        // The policy's cache points: what the prompt past the caller's own points would have cost read plainly, net of
        // the writes' premium (what the caller's points read and wrote is theirs, not the policy's saving).
        const plain = withoutPolicyCache(result.usage, callerCachedShare(plan.call.requested));
        const net = pricing.cost({ modelId: result.modelId, region, usage: plain, ...tier }) - onDemand;
        if (net !== 0) savings.push({ strategy: 'prompt-cache', usd: net });
      }
      if (policyTier) {
        // The policy's tier: what the same tokens would have cost in the standard tier.
        const standard = pricing.cost({ modelId: result.modelId, region, usage: result.usage });
        if (standard > onDemand) savings.push({ strategy: 'service-tier', usd: standard - onDemand });
      }
    }
    // The routes' and profiles' savings are the planned model's: an answer a fallback served costs what it cost.
    const callerTier = policyTier ? {} : tier;
    const at = (modelId: string) => pricing.cost({ modelId, region, usage: result.usage, ...callerTier });
    const profiledFrom = result.modelId === plan.call.modelId ? plan.call.profiledFrom : undefined;
    if (profiledFrom !== undefined && isBilled(result)) {
      // The policy's inference profile: what the same tokens would have cost as addressed before, in the tier the
      // caller would have had (the policy's tier saved its own part above).
      const usd = at(profiledFrom) - at(result.modelId);
      if (usd > 0) savings.push({ strategy: 'inference-profile', usd });
    }
    if (plan.routedBy && sameModel(result.modelId, plan.call.modelId)) {
      // What the same tokens would have cost on the model the caller asked for, against the routed model as
      // addressed before any profile: the tier and the profile saved their own parts, so the levers add up.
      const routed = at(profiledFrom ?? result.modelId);
      const asRequested = at(plan.call.requested.modelId);
      if (asRequested > routed) savings.push({ strategy: 'routing', usd: asRequested - routed });
    }
    return { costUsd, savings, unpriced: false };
  } catch (err) {
    // The answer is the caller's all the same; the call is recorded with its tokens, marked unpriced.
    if (!NovaCostError.is(err, 'unknown-price')) throw err;
    return { costUsd: 0, savings: [], unpriced: true };
  }
}

/** The ledger entry of an answered call. */
export function spendEntryOf(
  at: Date,
  tenantId: string,
  result: PricedAnswer,
  price: CallPrice,
  holdId: string | undefined,
): SpendEntry {
  return {
    at,
    tenantId,
    modelId: resolveModelId(result.modelId).baseModelId,
    category: 'bedrock',
    billing: billingOf(result),
    costUsd: price.costUsd,
    savings: price.savings,
    ...(price.unpriced ? { unpriced: billedTokens(result) } : {}),
    ...(holdId === undefined ? {} : { holdId }),
  };
}

/**
 * The share (0..1) of the prompt up to the caller's own furthest cache point, by the layout's token estimate: 0 when
 * the caller placed none.
 */
function callerCachedShare(requested: Pick<InvocationRequest, 'modelId' | 'operation' | 'body'>): number {
  const shape = cacheableShape(requested.operation, findModel(requested.modelId)?.bodyFormat);
  if (!shape) return 0;
  const layout = promptLayout(requested.body, shape, resolveModelId(requested.modelId).baseModelId);
  const caller = Math.max(0, ...layout.callerPoints.map((p) => p.tokens));
  const total = Math.max(0, ...layout.boundaries.map((b) => b.tokens));
  return caller > 0 && total > 0 ? Math.min(caller / total, 1) : 0;
}

/**
 * The usage with what the policy's points cached read plainly instead: the reads and writes past the caller's share of
 * the prompt. Bedrock reads the cached prefix first, then writes up to the last point, the hour's writes before the
 * five minutes' (TTLs do not increase along a prompt).
 */
function withoutPolicyCache(u: TokenUsage, callerShare: number): TokenUsage {
  const reads = u.cacheReadInputTokens;
  const writes = u.cacheWriteInputTokens;
  const hourWrites = Math.min(u.cacheWrite1hInputTokens ?? 0, writes);
  const caller = Math.round(callerShare * (u.inputTokens + reads + writes));
  // Tokens of [from, to) past the caller's prefix.
  const past = (from: number, to: number) => Math.max(0, to - Math.max(from, caller));
  const policyReads = past(0, reads);
  const policyHourWrites = past(reads, reads + hourWrites);
  const policyWrites = policyHourWrites + past(reads + hourWrites, reads + writes);
  return {
    ...u,
    inputTokens: u.inputTokens + policyReads + policyWrites,
    cacheReadInputTokens: reads - policyReads,
    cacheWriteInputTokens: writes - policyWrites,
    cacheWrite1hInputTokens: hourWrites - policyHourWrites,
  };
}

function sameModel(a: string, b: string): boolean {
  return a === b || resolveModelId(a).baseModelId === resolveModelId(b).baseModelId;
}

/** The tokens an answer was billed for: none when it came from the cache or another caller's call. */
function billedTokens(result: PricedAnswer): { inputTokens: number; outputTokens: number } {
  if (!isBilled(result)) return { inputTokens: 0, outputTokens: 0 };
  const u = result.usage;
  return {
    inputTokens: u.inputTokens + u.cacheReadInputTokens + u.cacheWriteInputTokens,
    outputTokens: u.outputTokens,
  };
}

export interface CallCost extends CallPrice {
  readonly savedUsd: number;
}

export interface SettleDeps {
  readonly pricing: PricingCatalog;
  readonly ledger: SpendLedger;
  /** @default the system clock */
  readonly clock?: Clock;
  /** @default ignore */
  readonly onLedgerError?: (error: unknown) => void;
}

/**
 * After a call: prices what it came to (see priceCall), settles its budget hold with what it cost, and records it in
 * the spend ledger (a ledger that refuses is told to onLedgerError; the caller keeps its answer).
 */
export async function settleCall(deps: SettleDeps, plan: InvocationPlan, answer: PricedAnswer): Promise<CallCost> {
  let price: CallPrice = { costUsd: 0, savings: [], unpriced: false };
  try {
    price = priceCall(deps.pricing, plan, answer);
  } finally {
    plan.reservation.settle(price.costUsd);
  }
  try {
    await deps.ledger.record(
      spendEntryOf((deps.clock ?? systemClock).now(), plan.call.tenantId, answer, price, plan.reservation.holdId),
    );
  } catch (err) {
    deps.onLedgerError?.(err);
  }
  return { ...price, savedUsd: price.savings.reduce((sum, s) => sum + s.usd, 0) };
}
