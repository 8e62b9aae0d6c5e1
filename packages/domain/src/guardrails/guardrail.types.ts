import type { CacheOutcome, InvokeOptions } from '../invocation/invocation.types';
import type { JsonObject } from '../json';

/** An ApplyGuardrail call: a guardrail version checking content, no model involved. */
export interface GuardrailRequest {
  readonly tenantId: string;
  /** The guardrail's id or ARN, as Bedrock accepts it. */
  readonly guardrailId: string;
  /** A version number, or DRAFT (the working copy, which changes whenever the guardrail is edited). */
  readonly guardrailVersion: string;
  /** ApplyGuardrail's body as the caller sent it: `source`, `content`, `outputScope`. */
  readonly body: JsonObject;
  /** AWS region the call is billed in. @default the gateway's region */
  readonly region?: string;
  /** 'opt-in' caches a DRAFT guardrail's answers too; 'opt-out' never caches. @default none */
  readonly hints?: { readonly cache?: 'opt-in' | 'opt-out' };
  /** Set by ApplyGuardrail: serve from and store to the response cache for this long. Absent: not cacheable. */
  readonly cache?: { readonly ttlSeconds: number };
}

export interface GuardrailResult {
  /** Bedrock's answer: `action`, `outputs`, `assessments`, `usage` (the text units billed per policy), … */
  readonly body: JsonObject;
  /** As a model call's (CacheOutcome): set by the caching link; the Bedrock link answers 'bypass'. */
  readonly cache: CacheOutcome;
  readonly latencyMs: number;
}

/**
 * Applies a guardrail (ApplyGuardrail). Links (cache, Bedrock) implement this one method; failures are NovaCostError.
 * A link about to make a billed call awaits `options.admit` first, as ModelInvoker links do.
 */
export interface GuardrailApplier {
  apply(request: GuardrailRequest, options?: InvokeOptions): Promise<GuardrailResult>;
}
