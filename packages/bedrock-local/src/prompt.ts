import { stableJson } from './deterministic-content';
import { checkImageBlock } from './image-bytes';
import type { PromptSection } from '@nova-cost/domain';
import { validation } from './wire-error';

/** A piece of prompt text, or a cache point closing the prefix so far (its TTL as asked: `5m`, `1h`, or none). */
export type PromptPart =
  | { readonly section: PromptSection; readonly text: string }
  | { readonly section: PromptSection; readonly cachePoint: { readonly ttl?: unknown } };

/** The text of the parts, as the model reads it. */
export function promptText(parts: readonly PromptPart[]): string {
  return parts.flatMap((p) => ('text' in p ? [p.text] : [])).join('\n');
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Converse and Nova messages-v1 content blocks: `{text}`, `{cachePoint}`, or anything else (images, tools…). */
export function bedrockBlocks(blocks: unknown, field: string, section: PromptSection = 'messages'): PromptPart[] {
  if (!Array.isArray(blocks)) throw validation(`${field} must be an array of content blocks`);
  return blocks.map((block, i): PromptPart => {
    if (!isObject(block)) throw validation(`${field} must hold objects`);
    checkImages(block, `${field}.${i}`);
    if ('cachePoint' in block) {
      const point = block['cachePoint'];
      if (!isObject(point) || point['type'] !== 'default')
        throw validation(`${field}.${i}.cachePoint must be {"type": "default", "ttl"?: "5m" | "1h"}`);
      return { section, cachePoint: { ttl: point['ttl'] } };
    }
    return { section, text: typeof block['text'] === 'string' ? block['text'] : stableJson(block) };
  });
}

/** Converse and Nova `toolConfig.tools`: tool specs, and cache points between them. */
export function bedrockTools(toolConfig: unknown): PromptPart[] {
  const tools = isObject(toolConfig) ? toolConfig['tools'] : undefined;
  return Array.isArray(tools) ? bedrockBlocks(tools, 'toolConfig.tools', 'tools') : [];
}

/** Image blocks, also inside a tool result's content, must carry an image of their declared format. */
function checkImages(block: Record<string, unknown>, field: string): void {
  if ('image' in block) checkImageBlock(block['image'], `${field}.image`);
  const toolResult = block['toolResult'];
  if (isObject(toolResult) && Array.isArray(toolResult['content'])) {
    toolResult['content'].forEach((inner, i) => {
      if (isObject(inner) && 'image' in inner)
        checkImageBlock(inner['image'], `${field}.toolResult.content.${i}.image`);
    });
  }
}

/** Converse / Nova `messages`: non-empty, roles user|assistant, content blocks. */
export function bedrockMessages(messages: unknown): PromptPart[] {
  if (!Array.isArray(messages) || messages.length === 0) throw validation('messages must be a non-empty array');
  return messages.flatMap((m, i) => {
    if (!isObject(m) || (m['role'] !== 'user' && m['role'] !== 'assistant')) {
      throw validation(`messages.${i}.role must be 'user' or 'assistant'`);
    }
    return bedrockBlocks(m['content'], `messages.${i}.content`);
  });
}

export function optionalMaxTokens(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw validation(`${field} must be an integer >= 1`);
  return value;
}

/** The text of the last user turn, and whether it brings tool results (Converse `toolResult`, Anthropic `tool_result`). */
export function lastUserTurn(messages: unknown): { text: string; bringsToolResults: boolean } {
  const turns = Array.isArray(messages) ? messages : [];
  const last = [...turns].reverse().find((m) => isObject(m) && m['role'] === 'user');
  const content = isObject(last) ? last['content'] : undefined;
  if (typeof content === 'string') return { text: content, bringsToolResults: false };
  const blocks = Array.isArray(content) ? content.filter(isObject) : [];
  return {
    text: blocks.map((b) => (typeof b['text'] === 'string' ? b['text'] : '')).join('\n'),
    bringsToolResults: blocks.some((b) => 'toolResult' in b || b['type'] === 'tool_result'),
  };
}
