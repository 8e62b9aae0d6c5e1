import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lazyJsonObject, memberLayout } from './lazy-json-object';

const lazy = (text: string) => {
  const raw = Buffer.from(text);
  const layout = memberLayout(raw, 1_000);
  if (!layout) throw new Error('no layout');
  return lazyJsonObject(raw, layout);
};

/** `text` with JSON whitespace added around every structural character outside strings. */
function spaced(text: string, space: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i]!;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      out += c;
      inString = true;
    } else out += '{}[]:,'.includes(c) ? `${space}${c}${space}` : c;
  }
  return `${space}${out}${space}`;
}

describe(lazyJsonObject, () => {
  it('reads as JSON.parse reads the same text, whatever the members, their values and the whitespace', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.constantFrom('', ' ', '\n\t', '\r\n  '),
        (object, space) => {
          const text = spaced(JSON.stringify(object), space);
          const parsed = lazy(text);
          expect(Object.keys(parsed)).toEqual(Object.keys(JSON.parse(text) as object));
          expect(parsed).toEqual(JSON.parse(text));
        },
      ),
    );
  });

  it('takes the last value of a repeated member, at its first place, as JSON.parse does, and __proto__ as a member', () => {
    const text = '{"a":1,"b":[2],"a":{"x":"}\\""},"__proto__":{"polluted":true}}';
    const parsed = lazy(text);
    expect(Object.keys(parsed)).toEqual(['a', 'b', '__proto__']);
    expect(parsed).toEqual(JSON.parse(text));
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('parses a member when it is first read, once, and takes an assignment as any object does', () => {
    const parsed = lazy('{"messages":[{"role":"user"}],"inferenceConfig":{"maxTokens":5}}');
    expect(Object.getOwnPropertyDescriptor(parsed, 'messages')?.get).toBeDefined();
    const config = parsed['inferenceConfig'];
    expect(parsed['inferenceConfig']).toBe(config);
    expect(Object.getOwnPropertyDescriptor(parsed, 'inferenceConfig')).toMatchObject({ value: { maxTokens: 5 } });
    expect(Object.getOwnPropertyDescriptor(parsed, 'messages')?.get).toBeDefined();
    parsed['messages'] = [];
    expect({ ...parsed }).toEqual({ messages: [], inferenceConfig: { maxTokens: 5 } });
  });
});

describe(memberLayout, () => {
  it('gives no layout for an object of more members than asked', () => {
    expect(memberLayout(Buffer.from('{"a":1,"b":2,"c":3}'), 2)).toBeUndefined();
    expect(memberLayout(Buffer.from('{"a":1,"b":2}'), 2)?.keys).toEqual(['a', 'b']);
  });

  it('finds an empty object and values of every kind at the top level', () => {
    expect(memberLayout(Buffer.from(' { } '), 5)?.keys).toEqual([]);
    const text = '{"n":-1.5e3,"t":true,"f":false,"z":null,"s":"a,b}","o":{},"l":[]}';
    expect(lazy(text)).toEqual(JSON.parse(text));
  });
});
