import type { JsonObject } from '../json';
import type { BodyTally } from './request-features';

/**
 * What planning and the request key read from a body by walking all of it: its token tally and the digest of its
 * canonical form (analyseBody computes it). For a large body the gateway computes it on another thread (these walks
 * take tens of milliseconds for megabytes) and remembers it for the body it parsed from the same bytes, so the
 * request's own thread never walks the body.
 */
export interface BodyAnalysis {
  /** sha256 (hex) of the body's canonical JSON, significant fields only: the request key's digest (see requestKey). */
  readonly digest: string;
  readonly tally: BodyTally;
}

const remembered = new WeakMap<JsonObject, BodyAnalysis>();

/** Remembers the analysis of `body` until the body is garbage: requestFeatures and requestKey then use it. */
export function rememberBodyAnalysis(body: JsonObject, analysis: BodyAnalysis): void {
  remembered.set(body, analysis);
}

export function rememberedAnalysis(body: JsonObject): BodyAnalysis | undefined {
  return remembered.get(body);
}
