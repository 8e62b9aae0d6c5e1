import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope, ENVELOPE_VERSION } from './response-envelope';

const envelope = {
  v: ENVELOPE_VERSION,
  bodyText: JSON.stringify({ output: { message: { content: [{ text: 'line one\nline two' }] } } }),
  usage: { inputTokens: 1, outputTokens: 2, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
  modelId: 'm',
  stopReason: 'end_turn',
  createdAt: 1,
} as const;

const encoded = encodeEnvelope(envelope);
const head = encoded.slice(0, encoded.indexOf('\n'));
const withHead = (fields: Record<string, unknown>) =>
  `${JSON.stringify({ ...JSON.parse(head), ...fields })}\n${envelope.bodyText}`;

describe(decodeEnvelope, () => {
  it('reads back what encodeEnvelope wrote, the body as the very text it was given', () => {
    expect(decodeEnvelope(encoded)).toEqual(envelope);
  });

  it('reads an entry an earlier release priced (its costUsd is ignored: the use case prices every call)', () => {
    expect(decodeEnvelope(withHead({ costUsd: 0.0012 }))).toEqual(envelope);
  });

  it('keeps the body after the first line, whatever newlines its strings hold (JSON escapes them)', () => {
    expect(encoded.split('\n')).toHaveLength(2);
  });

  it.each([
    ['truncated JSON', '{"v":3,'],
    ['an entry of version 2 (the body inside the JSON)', JSON.stringify({ ...envelope, v: 2, body: {} })],
    ['another version', withHead({ v: ENVELOPE_VERSION + 1 })],
    ['a body cut short', encoded.slice(0, -1)],
    ['a body longer than its head says', `${encoded} `],
    ['a body that is not an object', withHead({ n: 2 }).replace(/\n.*$/s, '\n[]')],
    ['a usage without outputTokens', withHead({ usage: { inputTokens: 1 } })],
    ['a non-string stopReason', withHead({ stopReason: 3 })],
    ['an array', '[]\n{}'],
  ])('treats %s as unreadable', (_, raw) => {
    expect(decodeEnvelope(raw)).toBeUndefined();
  });
});
