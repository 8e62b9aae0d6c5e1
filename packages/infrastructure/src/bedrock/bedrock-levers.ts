import type { PlannedInvocation } from '@nova-cost/domain';
import {
  NovaCostError,
  bodyShapeOf,
  cacheableShape,
  findModel,
  policyTierOf,
  resolveModelId,
  withCachePoints,
} from '@nova-cost/domain';

/** A price lever the policy wrote into the planned call, which a model or region may refuse. */
export type Lever = 'service-tier' | 'cache-point';

/** The call as sent: the planned levers written where Bedrock reads them, less those already refused. */
export interface CarriedCall {
  readonly sent: PlannedInvocation;
  /** The levers written into `sent`. */
  readonly levers: readonly Lever[];
  /**
   * The tier the call goes in as far as the plan goes: the planned tier when sent, `default` when the planned tier
   * was left out (refused before), undefined when the plan named none (a caller's own tier is the caller's).
   */
  readonly serviceTier?: string;
}

/** Words of a ValidationException that blame a lever, so a refusal of one does not cost the others. */
const BLAME: Readonly<Record<Lever, RegExp>> = {
  'service-tier': /service.?tier|reservation/i,
  'cache-point': /cache.?point|cache_control|prompt.?cach|checkpoint/i,
};

/** Bedrock's ValidationException, as the SDK raised it or as mapped already (a stream's start is). */
function isValidationException(error: unknown): error is Error {
  if (NovaCostError.is(error)) return error.upstream?.name === 'ValidationException';
  return error instanceof Error && error.name === 'ValidationException';
}

/**
 * Carries out the policy's levers on the Bedrock wire (the service tier, cache points) and learns, per model and region, the ones Bedrock refuses: a
 * call refused with a ValidationException is sent once more without the levers the message names (all of them when
 * it names none), and when that succeeds those levers are never sent again for that model and region. So a lever
 * never fails a call, and costs at most one refused (unbilled) attempt per model and region.
 */
export class BedrockLevers {
  /** `lever|region|base model|value` of every lever refused. */
  private readonly refused = new Set<string>();

  /** Runs `attempt` with the levers carried out, once more without the refused ones if Bedrock refuses them. */
  async run<T>(request: PlannedInvocation, attempt: (call: CarriedCall) => Promise<T>): Promise<T> {
    const first = this.carry(request, new Set());
    try {
      return await attempt(first);
    } catch (error) {
      if (first.levers.length === 0 || !isValidationException(error)) throw error;
      const named = first.levers.filter((lever) => BLAME[lever].test(error.message));
      const blamed = new Set(named.length > 0 ? named : first.levers);
      const answer = await attempt(this.carry(request, blamed));
      for (const lever of blamed) this.refused.add(this.key(lever, request));
      return answer;
    }
  }

  /** The levers learnt refused, as `lever region model value`: for logs and metrics. */
  refusals(): string[] {
    return [...this.refused].map((k) => k.split('|').join(' '));
  }

  private carry(request: PlannedInvocation, without: ReadonlySet<Lever>): CarriedCall {
    const levers: Lever[] = [];
    let sent = request;
    let serviceTier: string | undefined;
    const tier = policyTierOf(request);
    if (tier !== undefined) {
      if (without.has('service-tier') || this.refused.has(this.key('service-tier', request))) serviceTier = 'default';
      else {
        sent = withServiceTier(sent, tier);
        levers.push('service-tier');
        serviceTier = tier;
      }
    }
    const points = request.cachePoints;
    // Points exist only for a catalog model the policy found caching prompts of this shape.
    const shape =
      points.length > 0 ? cacheableShape(request.operation, findModel(request.modelId)?.bodyFormat) : undefined;
    if (shape && !without.has('cache-point') && !this.refused.has(this.key('cache-point', request))) {
      sent = { ...sent, body: withCachePoints(sent.body, shape, points) };
      levers.push('cache-point');
    }
    return { sent, levers, ...(serviceTier === undefined ? {} : { serviceTier }) };
  }

  private key(lever: Lever, request: PlannedInvocation): string {
    // A tier is refused per model, region and tier; cache points per model (and region).
    const value = lever === 'service-tier' ? (policyTierOf(request) ?? '') : '';
    let model = request.modelId;
    try {
      model = resolveModelId(request.modelId).baseModelId;
    } catch {
      // not a model id Bedrock would take: keyed as sent
    }
    return [lever, request.region, model, value].join('|');
  }
}

/** The tier where Bedrock reads it: Converse's `serviceTier` body field, InvokeModel's parameter (its header). */
function withServiceTier(request: PlannedInvocation, tier: string): PlannedInvocation {
  if (bodyShapeOf(request.operation) === 'converse')
    return { ...request, body: { ...request.body, serviceTier: { type: tier } } };
  return { ...request, parameters: { ...request.parameters, serviceTier: tier } };
}
