import type { JsonObject } from '../json';
import type { CachePointPlacement } from './prompt-layout';

/**
 * Bedrock runtime operation the request was made with. `count-tokens` (CountTokens) calls no model: it answers
 * `{inputTokens}` for free, the same for the same body.
 */
export type Operation = 'converse' | 'invoke' | 'converse-stream' | 'invoke-with-response-stream' | 'count-tokens';

/** The operations that answer with a stream of events. */
export type StreamOperation = Extract<Operation, 'converse-stream' | 'invoke-with-response-stream'>;

export function isStreamOperation(operation: Operation): operation is StreamOperation {
  return operation === 'converse-stream' || operation === 'invoke-with-response-stream';
}

/** The shape of the operation's body: Converse's (also ConverseStream's), or the model's own (InvokeModel and its stream). */
export function bodyShapeOf(operation: Operation): 'converse' | 'invoke' {
  return operation === 'converse' || operation === 'converse-stream' ? 'converse' : 'invoke';
}

/** interactive: answer now. deferrable: may wait to be batched. */
export type Lane = 'interactive' | 'deferrable';

/** How the upstream call was billed. Bedrock batch inference costs half of on-demand. */
export type BillingMode = 'on-demand' | 'batch';

export interface TokenUsage {
  /** Input tokens billed at the input price; excludes cached tokens. */
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly cacheWriteInputTokens: number;
  /**
   * Of `cacheWriteInputTokens`, those written for an hour (Converse `usage.cacheDetails`, Anthropic
   * `usage.cache_creation.ephemeral_1h_input_tokens`): billed at the 1-hour write rate, the rest at the 5-minute one.
   * @default 0
   */
  readonly cacheWrite1hInputTokens?: number;
}

export const ZERO_USAGE: TokenUsage = {
  inputTokens: 0,
  outputTokens: 0,
  cacheReadInputTokens: 0,
  cacheWriteInputTokens: 0,
};

/**
 * InvokeModel parameters Bedrock reads beside the body (its X-Amzn-Bedrock-* headers). Converse carries the same in
 * its body: `serviceTier`, `performanceConfig`, `requestMetadata`, `guardrailConfig`.
 */
export interface InvokeParameters {
  /** ENABLED, DISABLED or ENABLED_FULL: the guardrail trace in the answer. */
  readonly trace?: string;
  readonly guardrailIdentifier?: string;
  readonly guardrailVersion?: string;
  /** standard or optimized. */
  readonly performanceConfigLatency?: string;
  /** priority, default, flex or reserved: what the call is billed at. */
  readonly serviceTier?: string;
  /** Tags for the caller's own invocation logs: never part of the answer. */
  readonly requestMetadata?: Readonly<Record<string, string>>;
}

/** What the caller sent: the policy decides the rest (see PlannedInvocation). */
export interface InvocationRequest {
  readonly tenantId: string;
  /** A model id, inference profile id or ARN, as Bedrock accepts it. */
  readonly modelId: string;
  readonly operation: Operation;
  /** The Bedrock request body, as the caller sent it (Converse shape, or the model's own for invoke). */
  readonly body: JsonObject;
  /** InvokeModel only: the parameters Bedrock reads beside the body. @default none */
  readonly parameters?: InvokeParameters;
  /**
   * The region the call was made in, when the caller's context fixes it (a replayed invocation log record); the
   * gateway's callers never set it. @default the cost policy's region
   */
  readonly region?: string;
  /** What the caller asked for; the policy decides. */
  readonly hints?: {
    /** 'opt-in' makes a non-deterministic request cacheable; 'opt-out' never caches it. */
    readonly cache?: 'opt-in' | 'opt-out';
    readonly lane?: Lane;
  };
}

/** Whether, and for how long, the response cache serves and keeps a call's answer. */
export type CachePlan = 'none' | { readonly ttlSeconds: number };

/**
 * The service tier a call goes in: the one the caller named (in the body or InvokeModel's parameter, sent as it is),
 * the one the policy chose for a caller that named none (the Bedrock adapter writes it, and drops it for good for a
 * model and region that refused it), or Bedrock's default tier.
 */
export type TierPlan = 'default' | { readonly name: string; readonly by: 'caller' | 'policy' };

/**
 * A call as the cost policy planned it (CostPolicy.plan): every decision made, none left to a link to default. The
 * links of the invoker chain (cache, batcher, Bedrock) receive this and only carry it out.
 */
export interface PlannedInvocation {
  readonly tenantId: string;
  /** The model that answers: the one asked for, or the one a route rule chose. */
  readonly modelId: string;
  readonly operation: Operation;
  /** The body to send: the caller's, with the policy's output cap applied. */
  readonly body: JsonObject;
  /** As the caller sent them. @default none */
  readonly parameters?: InvokeParameters;
  /** The AWS region the call is made and priced in. */
  readonly region: string;
  readonly lane: Lane;
  readonly cache: CachePlan;
  readonly tier: TierPlan;
  /** The input tokens the policy estimated for the call (budget hold, routes, batch quotas). */
  readonly estimatedInputTokens: number;
  /** Cache points to insert besides the caller's own (see guardCachePoints); empty for none. */
  readonly cachePoints: readonly CachePointPlacement[];
  /**
   * Model or inference-profile ids to try in order when `modelId` throttles, fails or is unavailable (see
   * FallbackRule); the answer names the one that served. Empty for none.
   */
  readonly fallbacks: readonly string[];
  /**
   * Set when the policy sent the call through a cheaper inference profile (see InferenceProfileRule): the id it was
   * addressed as before (the caller's, or its route's model), which prices the profile's saving. @default none
   */
  readonly profiledFrom?: string;
  /** The request as the caller sent it. */
  readonly requested: InvocationRequest;
}

/** The TTL a planned call is cached for, or undefined when it is not cacheable. */
export function cacheTtlOf(call: Pick<PlannedInvocation, 'cache'>): number | undefined {
  return call.cache === 'none' ? undefined : call.cache.ttlSeconds;
}

/** The service tier the policy chose for the call, if it chose one (a caller's own tier is the caller's). */
export function policyTierOf(call: Pick<PlannedInvocation, 'tier'>): string | undefined {
  return call.tier !== 'default' && call.tier.by === 'policy' ? call.tier.name : undefined;
}

/** The tier a call goes in as planned, or undefined for Bedrock's default. */
export function tierNameOf(call: Pick<PlannedInvocation, 'tier'>): string | undefined {
  return call.tier === 'default' ? undefined : call.tier.name;
}

/**
 * How the response cache took part in an answer: 'hit' served from it, 'coalesced' shared with another caller's
 * call (in this process or another), 'miss' called upstream and kept, 'bypass' called upstream without the cache
 * (not cacheable, or no cache in the chain). Set by the caching link; the links below it answer 'bypass'.
 */
export type CacheOutcome = 'hit' | 'miss' | 'coalesced' | 'bypass';

/** Whether an answer was billed by Bedrock for this call (it was not served from the cache or another call). */
export function isBilled(answer: { readonly cache: CacheOutcome }): boolean {
  return answer.cache === 'miss' || answer.cache === 'bypass';
}

export interface InvocationResult {
  /** The Bedrock response body. */
  readonly body: JsonObject;
  readonly usage: TokenUsage;
  /** Time the answer took where it was produced (upstream latency for cached answers is not repeated). */
  readonly latencyMs: number;
  readonly cache: CacheOutcome;
  /** The model that produced the answer. */
  readonly modelId: string;
  /** Why generation stopped ('end_turn', 'max_tokens', …), when the model says. */
  readonly stopReason?: string;
  /** @default 'on-demand' */
  readonly billing?: BillingMode;
  /**
   * The service tier that served the call, as Bedrock echoed it (else the tier it was sent in): what it is priced at.
   * @default the tier the call was planned in, else standard
   */
  readonly serviceTier?: string;
}

export interface InvokeOptions {
  readonly signal?: AbortSignal;
  /**
   * Admission of a billed call into the tenant's budget. A link about to make a billed call (or hand the request to
   * the links that make it) awaits it first, and fails with its error; a link that answers without one (a cache hit,
   * a coalesced answer) never calls it. Calling it again is free.
   */
  readonly admit?: () => Promise<void>;
}
