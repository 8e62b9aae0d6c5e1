import { describe, expect, it } from 'vitest';
import { isReusableAnswer } from './answer-reuse';

describe(isReusableAnswer, () => {
  it.each(['end_turn', 'stop_sequence', 'tool_use', 'END_TURN'])('reuses an answer that stopped with %s', (reason) => {
    expect(isReusableAnswer(reason)).toBe(true);
  });
  it.each(['max_tokens', 'MAX_TOKENS', 'length', 'model_context_window_exceeded'])(
    'reuses an answer truncated with %s (the cap is in the request key)',
    (reason) => {
      expect(isReusableAnswer(reason)).toBe(true);
    },
  );
  it('reuses an answer whose model gave no stop reason', () => {
    expect(isReusableAnswer(undefined)).toBe(true);
  });
  it.each(['guardrail_intervened', 'content_filtered', 'CONTENT_FILTERED', 'refusal'])(
    'never reuses an answer refused with %s',
    (reason) => {
      expect(isReusableAnswer(reason)).toBe(false);
    },
  );
});
