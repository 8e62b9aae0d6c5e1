import { describe, expect, it } from 'vitest';
import { answeredByPlannedModel, isReusableAnswer } from './answer-reuse';

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

describe(answeredByPlannedModel, () => {
  const sonnet = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
  it('holds for the planned model through any of its profiles', () => {
    expect(answeredByPlannedModel(`global.${sonnet}`, `global.${sonnet}`)).toBe(true);
    expect(answeredByPlannedModel(`global.${sonnet}`, `us.${sonnet}`)).toBe(true);
    expect(answeredByPlannedModel(`global.${sonnet}`, sonnet)).toBe(true);
  });
  it('fails for a fallback model', () => {
    expect(answeredByPlannedModel(sonnet, 'anthropic.claude-haiku-4-5-20251001-v1:0')).toBe(false);
  });
});
