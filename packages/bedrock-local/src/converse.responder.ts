import { answerSeed, countTokens, generateText } from './deterministic-content';
import type { AnswerContext, ModelAnswer } from './model-answer';
import type { PromptCaching, PromptUsage } from './prompt-caching';
import { bedrockBlocks, bedrockMessages, bedrockTools, isObject, lastUserTurn, optionalMaxTokens } from './prompt';
import { chooseToolCall, converseToolOffer } from './tool-use';
import { validation } from './wire-error';

/** Converse: the same request and response shape for every text model. */
export function answerConverse(body: Record<string, unknown>, ctx: AnswerContext, caching: PromptCaching): ModelAnswer {
  const system = body['system'] === undefined ? [] : bedrockBlocks(body['system'], 'system', 'system');
  const messages = bedrockMessages(body['messages']);
  const config = body['inferenceConfig'];
  if (config !== undefined && !isObject(config)) throw validation('inferenceConfig must be an object');
  const maxTokens = optionalMaxTokens(config?.['maxTokens'], 'inferenceConfig.maxTokens');
  const prompt = caching.measure(ctx.baseModelId, [...bedrockTools(body['toolConfig']), ...system, ...messages]);
  const seed = answerSeed(ctx.baseModelId, body);
  const turn = lastUserTurn(body['messages']);
  const call = chooseToolCall(converseToolOffer(body['toolConfig']), turn.text, turn.bringsToolResults, seed);
  const answer = call
    ? {
        content: { toolUse: { toolUseId: `tooluse_${call.id}`, name: call.name, input: call.input } },
        outputTokens: Math.max(1, countTokens(JSON.stringify(call.input))),
        stopReason: 'tool_use',
      }
    : ((text) => ({ content: { text: text.text }, outputTokens: text.outputTokens, stopReason: text.stopReason }))(
        generateText(seed, maxTokens),
      );
  const usage: Record<string, unknown> = {
    inputTokens: prompt.inputTokens,
    outputTokens: answer.outputTokens,
    totalTokens: prompt.inputTokens + prompt.cacheReadInputTokens + prompt.cacheWriteInputTokens + answer.outputTokens,
  };
  if (prompt.cacheReadInputTokens > 0) usage['cacheReadInputTokens'] = prompt.cacheReadInputTokens;
  if (prompt.cacheWriteInputTokens > 0) usage['cacheWriteInputTokens'] = prompt.cacheWriteInputTokens;
  const details = cacheDetails(prompt);
  return {
    body: {
      output: { message: { role: 'assistant', content: [answer.content] } },
      stopReason: answer.stopReason,
      usage: details.length > 0 ? { ...usage, cacheDetails: details } : usage,
      metrics: { latencyMs: ctx.latencyMs(answer.outputTokens) },
    },
    inputTokens: prompt.inputTokens,
    outputTokens: answer.outputTokens,
    cacheReadInputTokens: prompt.cacheReadInputTokens,
    cacheWriteInputTokens: prompt.cacheWriteInputTokens,
  };
}

/** Converse's `usage.cacheDetails`: the writes per TTL, 1h before 5m, none when nothing was written. */
function cacheDetails(prompt: PromptUsage): { ttl: string; inputTokens: number }[] {
  const hour = prompt.cacheWrite1hInputTokens;
  const minutes = prompt.cacheWriteInputTokens - hour;
  return [
    ...(hour > 0 ? [{ ttl: '1h', inputTokens: hour }] : []),
    ...(minutes > 0 ? [{ ttl: '5m', inputTokens: minutes }] : []),
  ];
}
