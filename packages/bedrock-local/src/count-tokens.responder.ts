import type { ModelSpec } from '@nova-cost/domain';
import { anthropicContent, anthropicTools } from './anthropic-messages.responder';
import { countTokens } from './deterministic-content';
import type { PromptPart } from './prompt';
import { bedrockBlocks, bedrockMessages, bedrockTools, isObject, promptText } from './prompt';
import { validation } from './wire-error';

const NOT_COUNTED = "The provided model doesn't support counting tokens.";

/**
 * CountTokens: the input tokens a Converse or InvokeModel request would be billed (cached prefix included), without
 * calling the model. Bedrock counts for Anthropic Claude models addressed by their bare foundation-model id only.
 */
export function answerCountTokens(
  body: Record<string, unknown>,
  modelId: string,
  spec: ModelSpec,
): { inputTokens: number } {
  if (spec.bodyFormat !== 'anthropic-messages' || modelId !== spec.id) throw validation(NOT_COUNTED);
  const input = body['input'];
  if (!isObject(input))
    throw validation(
      "1 validation error detected: Value null at 'input' failed to satisfy constraint: Member must not be null",
    );
  return {
    inputTokens: countTokens(promptText(segmentsOf(input))),
  };
}

function segmentsOf(input: Record<string, unknown>): PromptPart[] {
  const converse = input['converse'];
  if (isObject(converse)) {
    return [
      ...bedrockTools(converse['toolConfig']),
      ...(converse['system'] === undefined ? [] : bedrockBlocks(converse['system'], 'system', 'system')),
      ...bedrockMessages(converse['messages']),
    ];
  }
  const invoke = input['invokeModel'];
  if (!isObject(invoke) || typeof invoke['body'] !== 'string')
    throw validation('input must hold converse {messages, system?} or invokeModel {body}');
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(invoke['body'], 'base64').toString('utf8'));
  } catch {
    throw validation('Malformed input request: input.invokeModel.body is not base64 JSON.');
  }
  if (!isObject(body) || !Array.isArray(body['messages']))
    throw validation('Malformed input request: #: required key [messages] not found');
  const system = body['system'] === undefined ? [] : anthropicContent(body['system'], 'system', 'system');
  return [
    ...anthropicTools(body['tools']),
    ...system,
    ...body['messages'].flatMap((m, i) => (isObject(m) ? anthropicContent(m['content'], `messages.${i}.content`) : [])),
  ];
}
