import { randomUUID } from 'node:crypto';
import { bodySourceOf, isJsonObject } from '@nova-cost/domain';

/**
 * The JSON text of `value`, where any object remembered with the bytes it was parsed from (a caller's body the
 * gateway forwards unchanged, see rememberBodySource) is written as those bytes instead of being serialised again:
 * megabytes of model input kept for a deferred call cost a copy, not a walk on the event loop. A value with no such
 * object is JSON.stringify's text.
 */
export function jsonWithSources(value: unknown): string | Buffer {
  const sources: Uint8Array[] = [];
  // A string no caller's JSON holds (a fresh UUID), standing for source i until the bytes take its place.
  const marker = `nova-cost-source-${randomUUID()}-`;
  const text = JSON.stringify(value, (_key, v: unknown) => {
    const bytes = isJsonObject(v) ? bodySourceOf(v) : undefined;
    if (!bytes) return v;
    sources.push(bytes);
    return `${marker}${sources.length - 1}`;
  });
  if (sources.length === 0) return text;
  const [head, ...rest] = text.split(`"${marker}`);
  const parts: Uint8Array[] = [Buffer.from(head!)];
  for (const part of rest) {
    const quote = part.indexOf('"');
    parts.push(sources[Number(part.slice(0, quote))]!, Buffer.from(part.slice(quote + 1)));
  }
  return Buffer.concat(parts);
}
