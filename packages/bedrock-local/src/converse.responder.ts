import { generateText, hashOf, stableJson } from './deterministic-content';
import type { AnswerContext, ModelAnswer } from './model-answer';
import type { PromptCache } from './prompt-cache';
import { bedrockBlocks, bedrockMessages, isObject, measurePrompt, optionalMaxTokens } from './prompt';
import { validation } from './wire-error';

/** Converse: the same request and response shape for every text model. */
export function answerConverse(body: Record<string, unknown>, ctx: AnswerContext, cache: PromptCache): ModelAnswer {
  const system = body['system'] === undefined ? [] : bedrockBlocks(body['system'], 'system');
  const messages = bedrockMessages(body['messages']);
  const config = body['inferenceConfig'];
  if (config !== undefined && !isObject(config)) throw validation('inferenceConfig must be an object');
  const maxTokens = optionalMaxTokens(config?.['maxTokens'], 'inferenceConfig.maxTokens');
  const prompt = measurePrompt(ctx.baseModelId, [...system, ...messages], cache);
  const answer = generateText(hashOf(ctx.baseModelId, stableJson(body)), maxTokens);
  const usage: Record<string, number> = {
    inputTokens: prompt.inputTokens,
    outputTokens: answer.outputTokens,
    totalTokens: prompt.inputTokens + prompt.cacheReadInputTokens + prompt.cacheWriteInputTokens + answer.outputTokens,
  };
  if (prompt.cacheReadInputTokens > 0) usage['cacheReadInputTokens'] = prompt.cacheReadInputTokens;
  if (prompt.cacheWriteInputTokens > 0) usage['cacheWriteInputTokens'] = prompt.cacheWriteInputTokens;
  return {
    body: {
      output: { message: { role: 'assistant', content: [{ text: answer.text }] } },
      stopReason: answer.stopReason,
      usage,
      metrics: { latencyMs: ctx.latencyMs(answer.outputTokens) },
    },
    inputTokens: prompt.inputTokens,
    outputTokens: answer.outputTokens,
    cacheReadInputTokens: prompt.cacheReadInputTokens,
    cacheWriteInputTokens: prompt.cacheWriteInputTokens,
  };
}
