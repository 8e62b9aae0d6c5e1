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

/** Where an answer came from. */
export type ResultSource = 'upstream' | 'cache' | 'coalesced';

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

/** What the caller asked for, and (after CostPolicy.plan) what the adapters must do with it. */
export interface InvocationRequest {
  readonly tenantId: string;
  /** A model id, inference profile id or ARN, as Bedrock accepts it. */
  readonly modelId: string;
  readonly operation: Operation;
  /** The Bedrock request body, as the caller sent it (Converse shape, or the model's own for invoke). */
  readonly body: JsonObject;
  /** InvokeModel only: the parameters Bedrock reads beside the body. @default none */
  readonly parameters?: InvokeParameters;
  /** AWS region the call is billed in. @default the gateway's region */
  readonly region?: string;
  /** What the caller asked for; the policy decides. */
  readonly hints?: {
    /** 'opt-in' makes a non-deterministic request cacheable; 'opt-out' never caches it. */
    readonly cache?: 'opt-in' | 'opt-out';
    readonly lane?: Lane;
  };
  /** Set by the policy: serve from and store to the response cache for this long. Absent: not cacheable. */
  readonly cache?: { readonly ttlSeconds: number };
  /** Set by the policy. @default 'interactive' */
  readonly lane?: Lane;
  /**
   * Set by the policy: the Bedrock service tier to call in when the caller named none (see ServiceTierRule). The
   * Bedrock adapter sends it (Converse `serviceTier`, InvokeModel's header), and drops it for good for a model and
   * region that refused it. @default Bedrock's default tier
   */
  readonly serviceTier?: 'flex' | 'priority';
  /**
   * Set by the policy: cache points to insert besides the caller's own (see guardCachePoints). The Bedrock adapter
   * writes them where the model family reads them, and drops them for good for a model that refused them.
   * @default none
   */
  readonly cachePoints?: readonly CachePointPlacement[];
}

export interface InvocationResult {
  /** The Bedrock response body. */
  readonly body: JsonObject;
  readonly usage: TokenUsage;
  /** Time the answer took where it was produced (upstream latency for cached answers is not repeated). */
  readonly latencyMs: number;
  readonly source: ResultSource;
  /** The model that produced the answer. */
  readonly modelId: string;
  /** Why generation stopped ('end_turn', 'max_tokens', …), when the model says. */
  readonly stopReason?: string;
  /** @default 'on-demand' */
  readonly billing?: BillingMode;
  /**
   * The service tier that served the call, as Bedrock echoed it (else the tier it was sent in): what it is priced at.
   * @default the tier the request named, else standard
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
