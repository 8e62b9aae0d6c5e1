import { answerSeed, countTokens, generateText, stableJson } from './deterministic-content';
import type { AnswerContext, ModelAnswer } from './model-answer';
import type { PromptSection } from '@nova-cost/domain';
import type { PromptCaching } from './prompt-caching';
import type { PromptPart } from './prompt';
import { isObject, lastUserTurn, optionalMaxTokens } from './prompt';
import { anthropicToolOffer, chooseToolCall } from './tool-use';
import { validation } from './wire-error';

/** Anthropic content: a string, or blocks where `cache_control` closes a cacheable prefix after its block. */
export function anthropicContent(content: unknown, field: string, section: PromptSection = 'messages'): PromptPart[] {
  if (typeof content === 'string') return [{ section, text: content }];
  if (!Array.isArray(content)) throw validation(`Malformed input request: ${field} must be a string or an array`);
  return content.flatMap((block) => {
    if (!isObject(block) || typeof block['type'] !== 'string')
      throw validation(`Malformed input request: ${field} blocks need a type`);
    const { cache_control: control, ...rest } = block;
    const text = rest['type'] === 'text' && typeof rest['text'] === 'string' ? rest['text'] : stableJson(rest);
    return [{ section, text }, ...cachePointOf(control, field, section)];
  });
}

/** Anthropic `tools`: each tool, with its own `cache_control`. */
export function anthropicTools(tools: unknown): PromptPart[] {
  if (!Array.isArray(tools)) return [];
  return tools.flatMap((tool) => {
    if (!isObject(tool)) return [];
    const { cache_control: control, ...rest } = tool;
    return [{ section: 'tools' as const, text: stableJson(rest) }, ...cachePointOf(control, 'tools', 'tools')];
  });
}

function cachePointOf(control: unknown, field: string, section: PromptSection): PromptPart[] {
  if (control === undefined) return [];
  if (!isObject(control) || control['type'] !== 'ephemeral')
    throw validation(
      `Malformed input request: ${field} cache_control must be {"type": "ephemeral", "ttl"?: "5m" | "1h"}`,
    );
  return [{ section, cachePoint: { ttl: control['ttl'] } }];
}

/** InvokeModel on a Claude model, Anthropic messages API on Bedrock. */
export function answerAnthropicMessages(
  body: Record<string, unknown>,
  ctx: AnswerContext,
  caching: PromptCaching,
): ModelAnswer {
  if (typeof body['anthropic_version'] !== 'string')
    throw validation('Malformed input request: #: required key [anthropic_version] not found');
  if (body['max_tokens'] === undefined)
    throw validation('Malformed input request: #: required key [max_tokens] not found');
  const maxTokens = optionalMaxTokens(body['max_tokens'], 'max_tokens');
  const messages = body['messages'];
  if (!Array.isArray(messages) || messages.length === 0)
    throw validation('Malformed input request: messages must be a non-empty array');
  const system = body['system'] === undefined ? [] : anthropicContent(body['system'], 'system', 'system');
  const turns = messages.flatMap((m, i) => {
    if (!isObject(m) || (m['role'] !== 'user' && m['role'] !== 'assistant'))
      throw validation(`messages.${i}.role must be 'user' or 'assistant'`);
    return anthropicContent(m['content'], `messages.${i}.content`);
  });
  const prompt = caching.measure(ctx.baseModelId, [...anthropicTools(body['tools']), ...system, ...turns]);
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
        cache_creation: {
          ephemeral_5m_input_tokens: prompt.cacheWriteInputTokens - prompt.cacheWrite1hInputTokens,
          ephemeral_1h_input_tokens: prompt.cacheWrite1hInputTokens,
        },
      },
    },
    inputTokens: prompt.inputTokens,
    outputTokens: answer.outputTokens,
    cacheReadInputTokens: prompt.cacheReadInputTokens,
    cacheWriteInputTokens: prompt.cacheWriteInputTokens,
  };
}
