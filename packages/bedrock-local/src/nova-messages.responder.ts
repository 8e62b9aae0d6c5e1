import { answerSeed, generateText } from './deterministic-content';
import type { AnswerContext, ModelAnswer } from './model-answer';
import type { PromptCaching } from './prompt-caching';
import { bedrockBlocks, bedrockMessages, bedrockTools, isObject, optionalMaxTokens } from './prompt';
import { validation } from './wire-error';

/** InvokeModel on a Nova text model, body schema messages-v1. */
export function answerNovaMessages(
  body: Record<string, unknown>,
  ctx: AnswerContext,
  caching: PromptCaching,
): ModelAnswer {
  if (body['schemaVersion'] !== undefined && body['schemaVersion'] !== 'messages-v1') {
    throw validation(`Malformed input request: schemaVersion must be 'messages-v1'`);
  }
  const system = body['system'] === undefined ? [] : bedrockBlocks(body['system'], 'system', 'system');
  const messages = bedrockMessages(body['messages']);
  const config = body['inferenceConfig'];
  if (config !== undefined && !isObject(config))
    throw validation('Malformed input request: inferenceConfig must be an object');
  const maxTokens = optionalMaxTokens(
    config?.['max_new_tokens'] ?? config?.['maxTokens'],
    'inferenceConfig.max_new_tokens',
  );
  const prompt = caching.measure(ctx.baseModelId, [...bedrockTools(body['toolConfig']), ...system, ...messages]);
  const answer = generateText(answerSeed(ctx.baseModelId, body), maxTokens);
  return {
    body: {
      output: { message: { role: 'assistant', content: [{ text: answer.text }] } },
      stopReason: answer.stopReason,
      usage: {
        inputTokens: prompt.inputTokens,
        outputTokens: answer.outputTokens,
        totalTokens:
          prompt.inputTokens + prompt.cacheReadInputTokens + prompt.cacheWriteInputTokens + answer.outputTokens,
        cacheReadInputTokenCount: prompt.cacheReadInputTokens,
        cacheWriteInputTokenCount: prompt.cacheWriteInputTokens,
      },
    },
    inputTokens: prompt.inputTokens,
    outputTokens: answer.outputTokens,
    cacheReadInputTokens: prompt.cacheReadInputTokens,
    cacheWriteInputTokens: prompt.cacheWriteInputTokens,
  };
}
