import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../json';
import { cacheableShape, promptLayout, withCachePoints } from './prompt-layout';

const MODEL = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
const converse: JsonObject = {
  toolConfig: { tools: [{ toolSpec: { name: 'a', inputSchema: { json: {} } } }, { toolSpec: { name: 'b' } }] },
  system: [{ text: 'You are terse.' }, { text: 'Answer in French.' }],
  messages: [
    { role: 'user', content: [{ text: 'Hello' }] },
    { role: 'assistant', content: [{ text: 'Bonjour' }] },
    { role: 'user', content: [{ text: 'Bye' }] },
  ],
};

describe(promptLayout, () => {
  it('lists where points may go in reading order: last tool, last system block, each message end', () => {
    const { boundaries, callerPoints } = promptLayout(converse, 'converse', MODEL);
    expect(boundaries.map((b) => [b.section, b.index])).toEqual([
      ['tools', 1],
      ['system', 1],
      ['messages', 0],
      ['messages', 1],
      ['messages', 2],
    ]);
    const tokens = boundaries.map((b) => b.tokens);
    expect([...tokens].sort((a, b) => a - b)).toEqual(tokens);
    expect(callerPoints).toEqual([]);
  });

  it("fingerprints a prefix by its content, whatever the caller's cache points, and per model", () => {
    const marked: JsonObject = {
      ...converse,
      system: [...(converse['system'] as JsonObject[]), { cachePoint: { type: 'default' } }],
    };
    const a = promptLayout(converse, 'converse', MODEL).boundaries;
    const b = promptLayout(marked, 'converse', MODEL).boundaries;
    expect(b.map((x) => x.fingerprint)).toEqual(a.map((x) => x.fingerprint));
    expect(promptLayout(converse, 'converse', 'other.model-v1:0').boundaries[0]?.fingerprint).not.toBe(
      a[0]?.fingerprint,
    );
  });

  it("finds the caller's own points, Converse blocks and Anthropic cache_control, with their TTLs", () => {
    const mine = promptLayout(
      { ...converse, system: [{ text: 'x' }, { cachePoint: { type: 'default', ttl: '1h' } }] },
      'converse',
      MODEL,
    );
    expect(mine.callerPoints).toEqual([{ section: 'system', tokens: expect.any(Number), ttl: '1h' }]);
    const anthropic = promptLayout(
      {
        system: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: 'hi' }],
      },
      'anthropic',
      MODEL,
    );
    expect(anthropic.callerPoints).toEqual([{ section: 'system', tokens: expect.any(Number), ttl: '5m' }]);
  });
});

describe(withCachePoints, () => {
  it('inserts Converse cachePoint blocks after the tool, system block and message, leaving the caller body as it was', () => {
    const out = withCachePoints(converse, 'converse', [
      { section: 'tools', index: 1, ttl: '1h' },
      { section: 'system', index: 1, ttl: '1h' },
      { section: 'messages', index: 2, ttl: '5m' },
    ]);
    expect((out['toolConfig'] as JsonObject)['tools']).toEqual([
      ...((converse['toolConfig'] as JsonObject)['tools'] as JsonObject[]),
      { cachePoint: { type: 'default', ttl: '1h' } },
    ]);
    expect(out['system']).toEqual([
      ...(converse['system'] as JsonObject[]),
      { cachePoint: { type: 'default', ttl: '1h' } },
    ]);
    expect((out['messages'] as JsonObject[])[2]).toEqual({
      role: 'user',
      content: [{ text: 'Bye' }, { cachePoint: { type: 'default' } }],
    });
    expect(converse['system']).toHaveLength(2);
  });

  it("puts Anthropic's cache_control on the block, turning string content into a text block", () => {
    const body: JsonObject = {
      anthropic_version: 'bedrock-2023-05-31',
      tools: [{ name: 'a', input_schema: {} }],
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Hello' }],
    };
    const out = withCachePoints(body, 'anthropic', [
      { section: 'tools', index: 0, ttl: '1h' },
      { section: 'system', index: 0, ttl: '1h' },
      { section: 'messages', index: 0, ttl: '5m' },
    ]);
    expect(out['tools']).toEqual([{ name: 'a', input_schema: {}, cache_control: { type: 'ephemeral', ttl: '1h' } }]);
    expect(out['system']).toEqual([
      { type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral', ttl: '1h' } },
    ]);
    expect(out['messages']).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Hello', cache_control: { type: 'ephemeral' } }] },
    ]);
  });
});

describe(cacheableShape, () => {
  it('is Converse for Converse and Nova bodies, Anthropic for Claude InvokeModel bodies, none for the rest', () => {
    expect(cacheableShape('converse-stream', 'anthropic-messages')).toBe('converse');
    expect(cacheableShape('invoke', 'nova-messages-v1')).toBe('converse');
    expect(cacheableShape('invoke-with-response-stream', 'anthropic-messages')).toBe('anthropic');
    expect(cacheableShape('invoke', 'meta-llama')).toBeUndefined();
    expect(cacheableShape('count-tokens', 'anthropic-messages')).toBeUndefined();
  });
});
