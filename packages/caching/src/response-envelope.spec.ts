import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope, ENVELOPE_VERSION } from './response-envelope';

const envelope = {
  v: ENVELOPE_VERSION,
  body: { output: {} },
  usage: { inputTokens: 1, outputTokens: 2, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
  costUsd: 0.0012,
  modelId: 'm',
  stopReason: 'end_turn',
  createdAt: 1,
} as const;

describe(decodeEnvelope, () => {
  it('reads back what encodeEnvelope wrote', () => {
    expect(decodeEnvelope(encodeEnvelope(envelope))).toEqual(envelope);
  });

  it.each([
    ['truncated JSON', '{"v":1,'],
    ['another version', JSON.stringify({ ...envelope, v: ENVELOPE_VERSION + 1 })],
    ['an entry of version 1 (no cost)', JSON.stringify({ ...envelope, v: 1 })],
    ['a negative cost', JSON.stringify({ ...envelope, costUsd: -1 })],
    ['a cost that is not a number', JSON.stringify({ ...envelope, costUsd: '0.1' })],
    ['a usage without outputTokens', JSON.stringify({ ...envelope, usage: { inputTokens: 1 } })],
    ['a non-string stopReason', JSON.stringify({ ...envelope, stopReason: 3 })],
    ['an array', '[]'],
  ])('treats %s as unreadable', (_, raw) => {
    expect(decodeEnvelope(raw)).toBeUndefined();
  });
});
