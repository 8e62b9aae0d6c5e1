import type { JsonObject } from '../json';
import type { BodyTally } from './request-features';

// What is remembered beside a request body the gateway parsed, for as long as that body lives: its analysis (read by
// planning and the request key) and the bytes it was parsed from (sent on by the Bedrock adapter).

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

const sources = new WeakMap<JsonObject, Uint8Array>();

/**
 * Remembers the JSON text a request body was parsed from, until the body is garbage, so an adapter can send those
 * bytes on instead of serialising the body again (megabytes of JSON take tens of milliseconds to serialise, on the
 * thread every tenant shares). Only the parsed object itself carries them: anything that changes a body makes a new
 * object (bodies are never changed in place), which has none, and is serialised as before.
 */
export function rememberBodySource(body: JsonObject, bytes: Uint8Array, sha256?: string): void {
  sources.set(body, bytes);
  if (sha256 !== undefined) digests.set(bytes, sha256);
}

const digests = new WeakMap<Uint8Array, string>();

/**
 * The sha256 (hex) of a body's source bytes when it was remembered with them (computed off the event loop for a large
 * body): the adapter signs the request with it instead of hashing megabytes again; else undefined.
 */
export function sourceDigestOf(bytes: Uint8Array): string | undefined {
  return digests.get(bytes);
}

/** The JSON text `body` was parsed from, when it is unchanged since (see rememberBodySource); else undefined. */
export function bodySourceOf(body: JsonObject): Uint8Array | undefined {
  return sources.get(body);
}
