import type { DataResidency } from '../models/inference-profiles';
import type { CallMatch } from './call-match';

/**
 * Where some calls may be processed, and so through which cross-region inference profile the policy may send them. A
 * call for a model whose global profile is priced below its in-region and geo ids (Claude 4.5 and later: in-region
 * and geo endpoints cost 10% more) goes through the global profile (`global.<model id>`) when its rule allows
 * 'global'; the saving is recorded as `inference-profile`. A caller's own profile id counts as allowed for its call.
 */
export interface InferenceProfileRule {
  /** Which calls the rule is for (`models`: the base model asked for). @default every call */
  readonly match?: CallMatch;
  /** 'global': any commercial region; 'geo': the called region's geography (`us.`, `eu.`…); 'region': that region only. */
  readonly dataResidency: DataResidency;
}

/**
 * Where a call goes when Bedrock throttles it, fails (5xx) or no longer serves its model: first the same model through
 * the other profiles the call's data residency allows (global, then geo, then in-region), then `to` in order. Never
 * for an error the caller caused (a bad request, an abort, a budget), never after a stream's first event. Each target
 * has a circuit breaker (see CircuitSettings), shared by the fleet through Redis when the gateway has one.
 */
export interface FallbackRule {
  /** Which calls the rule is for (`models`: the base model asked for). @default every call */
  readonly match?: CallMatch;
  /**
   * Model or inference-profile ids to try after the other profiles, in order. One is skipped for a call when it costs
   * more per token than the model planned, lacks a capability the request needs, has no price in the region, reads
   * another InvokeModel body, or lies outside the call's data residency. @default []
   */
  readonly to?: readonly string[];
  /** Try the same model through its other profiles first. @default true */
  readonly otherProfiles?: boolean;
}
