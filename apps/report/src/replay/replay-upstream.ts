import type { InvocationResult, PlannedInvocation, PricingCatalog } from '@nova-cost/domain';
import { findModel, outputCapField, policyTierOf, readOutputCap } from '@nova-cost/domain';
import type { LoggedCall } from '../logs/logged-call';

/** What Bedrock's answer to a planned call would be, as far as cost and timing go. */
export type ReplayAnswer = Pick<InvocationResult, 'usage' | 'latencyMs' | 'stopReason'> &
  Partial<Pick<InvocationResult, 'billing' | 'serviceTier'>>;

/**
 * Stands in for Bedrock during a replay: the answer Bedrock would give to the planned request (the policy's levers
 * written into it), from what the log recorded for the request as the caller sent it.
 */
export interface ReplayUpstream {
  answer(planned: PlannedInvocation, call: LoggedCall): ReplayAnswer;
}

/** Latency when the log holds none (InvokeModel bodies carry no metrics): 200 ms plus 12 ms per output token. */
export function estimatedLatencyMs(call: Pick<LoggedCall, 'latencyMs' | 'usage'>): number {
  return call.latencyMs ?? 200 + 12 * call.usage.outputTokens;
}

/** Time to the first token, which an output cap does not shorten. */
const PREFILL_MS = 200;

/**
 * Bedrock's answer to the planned request, from the logged one:
 * - the logged tokens (a routed call is assumed to use the same tokens on the cheaper model; its own tokenizer and
 *   answer length may differ a little);
 * - an output cap the policy set or lowered stops the answer there: output tokens above the planned request's cap
 *   are not generated (stop reason `max_tokens`), and the generation time shrinks with them;
 * - the service tier the policy planned is served where the price table prices that tier for the model, as Bedrock
 *   offers it; elsewhere the Bedrock adapter learns the refusal and the call runs in the default tier.
 */
export function plannedUpstream(pricing: PricingCatalog): ReplayUpstream {
  return {
    answer(planned, call) {
      const latencyMs = estimatedLatencyMs(call);
      const model = findModel(planned.modelId);
      const cap = readOutputCap(planned.body, outputCapField(planned.operation, model));
      const logged = call.usage.outputTokens;
      const cut = cap !== undefined && logged > cap;
      const policyTier = policyTierOf(planned);
      const tier = policyTier === undefined ? {} : { serviceTier: servedTier(pricing, planned, policyTier) };
      if (!cut)
        return {
          usage: call.usage,
          latencyMs,
          ...(call.stopReason === undefined ? {} : { stopReason: call.stopReason }),
          ...tier,
        };
      const generating = Math.max(0, latencyMs - PREFILL_MS);
      return {
        usage: { ...call.usage, outputTokens: cap },
        latencyMs: Math.min(latencyMs, PREFILL_MS) + (logged > 0 ? (generating * cap) / logged : 0),
        stopReason: 'max_tokens',
        ...tier,
      };
    },
  };
}

function servedTier(pricing: PricingCatalog, planned: PlannedInvocation, tier: string): string {
  try {
    const multipliers = pricing.price({ modelId: planned.modelId, region: planned.region }).tierMultipliers;
    return multipliers !== undefined && Object.hasOwn(multipliers, tier) ? tier : 'default';
  } catch {
    return 'default';
  }
}
