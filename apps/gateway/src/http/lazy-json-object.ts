import type { JsonObject } from '@nova-cost/domain';
import { endOfString } from './json-depth';

/**
 * Where each member of a JSON object text lies: its keys in order of first appearance (a repeated key's value is its
 * last one, as JSON.parse reads it) and, for key i, the bytes [ranges[2i], ranges[2i+1]) of its value.
 */
export interface MemberLayout {
  readonly keys: readonly string[];
  readonly ranges: Uint32Array;
}

const COMMA = 0x2c;
const QUOTE = 0x22;
const isOpen = (c: number | undefined) => c === 0x5b || c === 0x7b;
const isClose = (c: number | undefined) => c === 0x5d || c === 0x7d;
const isSpace = (c: number | undefined) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

function skipSpace(raw: Uint8Array, i: number): number {
  while (isSpace(raw[i])) i++;
  return i;
}

/** The index just past the value starting at `start` (a text JSON.parse accepted). */
function endOfValue(raw: Uint8Array, start: number): number {
  const first = raw[start]!;
  if (first === QUOTE) return endOfString(raw, start + 1) + 1;
  if (!isOpen(first)) {
    let i = start;
    while (i < raw.length && raw[i] !== COMMA && !isClose(raw[i]) && !isSpace(raw[i])) i++;
    return i;
  }
  let depth = 0;
  for (let i = start; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === QUOTE) i = endOfString(raw, i + 1);
    else if (isOpen(c)) depth++;
    else if (isClose(c) && --depth === 0) return i + 1;
  }
  return raw.length;
}

/**
 * The member layout of `raw`, a JSON object text JSON.parse has accepted (it checks nothing itself), or undefined
 * when the object has more than `maxKeys` members. One pass over the bytes, strings skipped with a native search.
 */
export function memberLayout(raw: Uint8Array, maxKeys: number): MemberLayout | undefined {
  const members = new Map<string, [number, number]>();
  const text = (from: number, to: number) => Buffer.from(raw.buffer, raw.byteOffset + from, to - from).toString('utf8');
  let i = skipSpace(raw, 0) + 1; // past '{'
  for (;;) {
    i = skipSpace(raw, i);
    if (raw[i] !== QUOTE) break; // '}'
    const keyEnd = endOfString(raw, i + 1);
    const key = JSON.parse(text(i, keyEnd + 1)) as string;
    const start = skipSpace(raw, skipSpace(raw, keyEnd + 1) + 1); // past ':'
    const end = endOfValue(raw, start);
    members.set(key, [start, end]);
    if (members.size > maxKeys) return undefined;
    i = skipSpace(raw, end);
    if (raw[i] === COMMA) i++;
  }
  const ranges = new Uint32Array(members.size * 2);
  [...members.values()].forEach(([start, end], k) => ranges.set([start, end], 2 * k));
  return { keys: [...members.keys()], ranges };
}

/**
 * The JSON object `raw` holds, laid out as `layout` says, each member parsed from its own bytes the first time it is
 * read (but those given in `members`, already made, for instance lazy objects themselves). A request's thread then
 * parses only the members it reads (a few small fields to plan a call), never the megabytes of messages it forwards as
 * the bytes that came. Reading a member — spreading, serialising or walking the body included — gives what JSON.parse
 * would have; an assignment replaces the member as on any object.
 */
export function lazyJsonObject(
  raw: Buffer,
  layout: MemberLayout,
  members: Readonly<Record<string, JsonObject>> = {},
): JsonObject {
  const body: JsonObject = {};
  // Reflect: a body someone froze keeps its getters, which then parse on each read.
  const settle = (key: string, value: unknown): boolean =>
    Reflect.defineProperty(body, key, { value, writable: true, enumerable: true, configurable: true });
  layout.keys.forEach((key, k) => {
    if (Object.hasOwn(members, key)) return void settle(key, members[key]);
    const [start, end] = [layout.ranges[2 * k]!, layout.ranges[2 * k + 1]!];
    Object.defineProperty(body, key, {
      enumerable: true,
      configurable: true,
      get() {
        const value: unknown = JSON.parse(raw.toString('utf8', start, end));
        settle(key, value);
        return value;
      },
      set(value: unknown) {
        settle(key, value);
      },
    });
  });
  return body;
}
