import { rememberBodySource } from '@nova-cost/domain';
import type { JsonObject } from '@nova-cost/domain';
import { describe, expect, it } from 'vitest';
import { jsonWithSources } from './json-with-sources';

/** A body parsed from `text`, remembered with its bytes as the gateway does. */
function sourced(text: string): JsonObject {
  const body = JSON.parse(text) as JsonObject;
  rememberBodySource(body, Buffer.from(text));
  return body;
}

describe(jsonWithSources, () => {
  it('writes an object remembered with its bytes as those bytes, wherever and however often it appears', () => {
    const text = '{ "messages" : [ {"role":"user","content":[{"text":"hi \\" there"}]} ] }';
    const body = sourced(text);
    const call = { id: 'c1', request: { body, requested: { body } }, tags: ['a"b'] };
    const written = jsonWithSources(call);
    expect(Buffer.isBuffer(written)).toBe(true);
    expect(written.toString()).toBe(
      `{"id":"c1","request":{"body":${text},"requested":{"body":${text}}},"tags":["a\\"b"]}`,
    );
    expect(JSON.parse(written.toString())).toEqual(JSON.parse(JSON.stringify(call)));
  });

  it('serialises a value with no remembered bytes as JSON.stringify does', () => {
    const call = { id: 'c2', request: { body: { messages: [] } } };
    expect(jsonWithSources(call)).toBe(JSON.stringify(call));
  });
});
