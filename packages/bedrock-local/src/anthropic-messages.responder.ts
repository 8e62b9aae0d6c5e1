import { answerSeed, countTokens, generateText, stableJson } from './deterministic-content';
import type { AnswerContext, ModelAnswer } from './model-answer';
import type { PromptCache } from './prompt-cache';
import type { PromptSegment } from './prompt';
import { isObject, lastUserTurn, measurePrompt, optionalMaxTokens } from './prompt';
import { anthropicToolOffer, chooseToolCall } from './tool-use';
import { validation } from './wire-error';

/** Anthropic content: a string, or blocks where `cache_control` closes a cacheable prefix. */
export function anthropicContent(content: unknown, field: string): PromptSegment[] {
  if (typeof content === 'string') return [{ text: content, cachePointAfter: false }];
  if (!Array.isArray(content)) throw validation(`Malformed input request: ${field} must be a string or an array`);
  return content.map((block) => {
    if (!isObject(block) || typeof block['type'] !== 'string')
      throw validation(`Malformed input request: ${field} blocks need a type`);
    const text = block['type'] === 'text' && typeof block['text'] === 'string' ? block['text'] : stableJson(block);
    return { text, cachePointAfter: block['cache_control'] !== undefined };
  });
}

/** InvokeModel on a Claude model, Anthropic messages API on Bedrock. */
export function answerAnthropicMessages(
  body: Record<string, unknown>,
  ctx: AnswerContext,
  cache: PromptCache,
): ModelAnswer {
  if (typeof body['anthropic_version'] !== 'string')
    throw validation('Malformed input request: #: required key [anthropic_version] not found');
  if (body['max_tokens'] === undefined)
    throw validation('Malformed input request: #: required key [max_tokens] not found');
  const maxTokens = optionalMaxTokens(body['max_tokens'], 'max_tokens');
  const messages = body['messages'];
  if (!Array.isArray(messages) || messages.length === 0)
    throw validation('Malformed input request: messages must be a non-empty array');
  const system = body['system'] === undefined ? [] : anthropicContent(body['system'], 'system');
  const turns = messages.flatMap((m, i) => {
    if (!isObject(m) || (m['role'] !== 'user' && m['role'] !== 'assistant'))
      throw validation(`messages.${i}.role must be 'user' or 'assistant'`);
    return anthropicContent(m['content'], `messages.${i}.content`);
  });
  const prompt = measurePrompt(ctx.baseModelId, [...system, ...turns], cache);
  const hash = answerSeed(ctx.baseModelId, body);
  const turn = lastUserTurn(messages);
  const call = chooseToolCall(
    anthropicToolOffer(body['tools'], body['tool_choice']),
    turn.text,
    turn.bringsToolResults,
    hash,
  );
  const answer = call
    ? {
        content: { type: 'tool_use', id: `toolu_bdrk_${call.id}`, name: call.name, input: call.input },
        outputTokens: Math.max(1, countTokens(JSON.stringify(call.input))),
        stopReason: 'tool_use',
      }
    : ((text) => ({
        content: { type: 'text', text: text.text },
        outputTokens: text.outputTokens,
        stopReason: text.stopReason,
      }))(generateText(hash, maxTokens));
  return {
    body: {
      id: `msg_bdrk_${hash.slice(0, 24)}`,
      type: 'message',
      role: 'assistant',
      model: ctx.baseModelId.replace(/^anthropic\./, '').replace(/-v\d+:\d+$/, ''),
      content: [answer.content],
      stop_reason: answer.stopReason,
      stop_sequence: null,
      usage: {
        input_tokens: prompt.inputTokens,
        output_tokens: answer.outputTokens,
        cache_creation_input_tokens: prompt.cacheWriteInputTokens,
        cache_read_input_tokens: prompt.cacheReadInputTokens,
      },
    },
    inputTokens: prompt.inputTokens,
    outputTokens: answer.outputTokens,
    cacheReadInputTokens: prompt.cacheReadInputTokens,
    cacheWriteInputTokens: prompt.cacheWriteInputTokens,
  };
}
