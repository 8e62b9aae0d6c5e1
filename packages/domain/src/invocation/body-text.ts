import type { JsonObject } from '../json';
import type { InvocationResult } from './invocation.types';

/**
 * Where a result keeps the JSON text of its body: a non-enumerable property, so a copy of the result (a spread, with
 * another body or not) never carries it, and equality checks never see it.
 */
const TEXT = Symbol.for('nova-cost.invocation.bodyText');

type WithText = InvocationResult & { [TEXT]?: string };

/** `body` of a result made from text: parsed on first read, then kept as a plain property. */
function parsedBody(this: WithText): JsonObject {
  const body = JSON.parse(this[TEXT]!) as JsonObject;
  Object.defineProperty(this, 'body', { value: body, enumerable: true, configurable: true, writable: false });
  return body;
}
const LAZY_BODY: PropertyDescriptor = { get: parsedBody, enumerable: true, configurable: true };

/**
 * A result whose body is the JSON text it was kept as (a cache entry): parsed on the first read of `body` only, and
 * sent to the caller as it is (see bodyTextOf), so serving a stored answer neither parses nor re-serialises it.
 * `text` must be the JSON of an object; what reads `body` gets a parse error otherwise.
 */
export function resultOfBodyText(text: string, rest: Omit<InvocationResult, 'body'>): InvocationResult {
  // Accessors in an object literal make a closure and a slow object on every call: one shared getter instead.
  const result = { ...rest } as WithText;
  Object.defineProperty(result, 'body', LAZY_BODY);
  return withBodyText(result, text);
}

/** Marks `text` as the JSON of `result.body` (a serialisation some link made anyway), and returns `result`. */
export function withBodyText(result: InvocationResult, text: string): InvocationResult {
  Object.defineProperty(result, TEXT, { value: text, enumerable: false, configurable: true, writable: false });
  return result;
}

/**
 * The JSON text of `result.body` when the result was made from it or marked with it (resultOfBodyText,
 * withBodyText); undefined otherwise, and for any copy of the result.
 */
export function bodyTextOf(result: InvocationResult): string | undefined {
  return (result as WithText)[TEXT];
}
