import { countTokens, generateText, hashOf, stableJson } from './deterministic-content';
import type { AnswerContext, ModelAnswer } from './model-answer';
import { optionalMaxTokens } from './prompt';
import { validation } from './wire-error';

function promptOf(body: Record<string, unknown>): string {
  const prompt = body['prompt'];
  if (typeof prompt !== 'string' || prompt === '')
    throw validation('Malformed input request: #: required key [prompt] not found');
  return prompt;
}

function answer(
  body: Record<string, unknown>,
  ctx: AnswerContext,
  capField: string,
): { prompt: string; text: string; inputTokens: number; outputTokens: number; truncated: boolean } {
  const prompt = promptOf(body);
  const generated = generateText(
    hashOf(ctx.baseModelId, stableJson(body)),
    optionalMaxTokens(body[capField], capField),
  );
  return {
    prompt,
    text: generated.text,
    inputTokens: countTokens(prompt),
    outputTokens: generated.outputTokens,
    truncated: generated.stopReason === 'max_tokens',
  };
}

const counts = (a: { inputTokens: number; outputTokens: number }) => ({
  inputTokens: a.inputTokens,
  outputTokens: a.outputTokens,
  cacheReadInputTokens: 0,
  cacheWriteInputTokens: 0,
});

/** InvokeModel on Meta Llama: `{prompt, max_gen_len?}` → `{generation, prompt_token_count, generation_token_count, stop_reason}`. */
export function answerLlama(body: Record<string, unknown>, ctx: AnswerContext): ModelAnswer {
  const a = answer(body, ctx, 'max_gen_len');
  return {
    body: {
      generation: a.text,
      prompt_token_count: a.inputTokens,
      generation_token_count: a.outputTokens,
      stop_reason: a.truncated ? 'length' : 'stop',
    },
    ...counts(a),
  };
}

/** InvokeModel on Mistral's completion models: `{prompt, max_tokens?}` → `{outputs: [{text, stop_reason}]}`. */
export function answerMistral(body: Record<string, unknown>, ctx: AnswerContext): ModelAnswer {
  const a = answer(body, ctx, 'max_tokens');
  return { body: { outputs: [{ text: a.text, stop_reason: a.truncated ? 'length' : 'stop' }] }, ...counts(a) };
}
