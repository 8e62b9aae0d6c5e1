import type { JsonObject } from '../json';

const sources = new WeakMap<JsonObject, Uint8Array>();

/**
 * Remembers the JSON text a request body was parsed from, until the body is garbage, so an adapter can send those
 * bytes on instead of serialising the body again (megabytes of JSON take tens of milliseconds to serialise, on the
 * thread every tenant shares). Only the parsed object itself carries them: anything that changes a body makes a new
 * object (bodies are never changed in place), which has none, and is serialised as before.
 */
export function rememberBodySource(body: JsonObject, bytes: Uint8Array): void {
  sources.set(body, bytes);
}

/** The JSON text `body` was parsed from, when it is unchanged since (see rememberBodySource); else undefined. */
export function bodySourceOf(body: JsonObject): Uint8Array | undefined {
  return sources.get(body);
}
