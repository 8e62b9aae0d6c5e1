import type { InvocationRequest, InvocationResult, PlannedInvocation } from '@nova-cost/domain';
import { ZERO_USAGE } from '@nova-cost/domain';

/** What a spec names of a planned call; the rest is an interactive, uncached Converse call in us-east-1. */
export type PlannedCallFields = Partial<Omit<PlannedInvocation, 'cache'>> & {
  /** A TTL in seconds, or 'none'. @default 'none' */
  readonly cache?: PlannedInvocation['cache'] | number;
};

/**
 * A planned call in one line, as CostPolicy.plan would hand it to the invoker chain: `plannedCall({ cache: 60 })`.
 * `requested` is the same call as the caller sent it, unless given.
 */
export function plannedCall(fields: PlannedCallFields = {}): PlannedInvocation {
  const { cache, requested, ...rest } = fields;
  const call = {
    tenantId: 't1',
    modelId: 'amazon.nova-lite-v1:0',
    operation: 'converse' as const,
    body: { messages: [{ role: 'user', content: [{ text: 'hello' }] }] },
    region: 'us-east-1',
    lane: 'interactive' as const,
    tier: 'default' as const,
    estimatedInputTokens: 1,
    cachePoints: [],
    fallbacks: [],
    ...rest,
    cache: typeof cache === 'number' ? { ttlSeconds: cache } : (cache ?? 'none'),
  };
  const asked: InvocationRequest = requested ?? {
    tenantId: call.tenantId,
    modelId: call.modelId,
    operation: call.operation,
    body: call.body,
    ...(call.parameters === undefined ? {} : { parameters: call.parameters }),
  };
  return { ...call, requested: asked };
}

/** An answer as a link below the cache gives it ('bypass'), with zero usage unless given. */
export function answer(fields: Partial<InvocationResult> = {}): InvocationResult {
  return {
    body: { output: { message: { role: 'assistant', content: [{ text: 'hi' }] } } },
    usage: ZERO_USAGE,
    latencyMs: 0,
    cache: 'bypass',
    modelId: 'amazon.nova-lite-v1:0',
    ...fields,
  };
}
