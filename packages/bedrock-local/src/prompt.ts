import { countTokens, stableJson } from './deterministic-content';
import { checkImageBlock } from './image-bytes';
import type { PromptCache } from './prompt-cache';
import { validation } from './wire-error';

/** A piece of prompt text; `cachePointAfter` marks the end of a cacheable prefix. */
export interface PromptSegment {
  readonly text: string;
  readonly cachePointAfter: boolean;
}

export interface PromptUsage {
  /** Input tokens not served from or written to the prompt cache. */
  readonly inputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly cacheWriteInputTokens: number;
  /** Everything the model read, for the answer's hash. */
  readonly fullText: string;
}

/** Counts the prompt's tokens and splits off the longest cached prefix (up to the last cache point). */
export function measurePrompt(modelId: string, segments: readonly PromptSegment[], cache: PromptCache): PromptUsage {
  const fullText = segments.map((s) => s.text).join('\n');
  let lastPoint = -1;
  segments.forEach((s, i) => {
    if (s.cachePointAfter) lastPoint = i;
  });
  const prefix = segments
    .slice(0, lastPoint + 1)
    .map((s) => s.text)
    .join('\n');
  const prefixTokens = countTokens(prefix);
  const outcome = cache.touch(modelId, prefix, prefixTokens);
  return { inputTokens: Math.max(0, countTokens(fullText) - prefixTokens), ...outcome, fullText };
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Converse and Nova messages-v1 content blocks: `{text}`, `{cachePoint}`, or anything else (images, tools…). */
export function bedrockBlocks(blocks: unknown, field: string): PromptSegment[] {
  if (!Array.isArray(blocks)) throw validation(`${field} must be an array of content blocks`);
  const segments: PromptSegment[] = [];
  for (const [i, block] of blocks.entries()) {
    if (!isObject(block)) throw validation(`${field} must hold objects`);
    checkImages(block, `${field}.${i}`);
    if ('cachePoint' in block) {
      const last = segments.pop();
      if (last) segments.push({ ...last, cachePointAfter: true });
      continue;
    }
    const text = typeof block['text'] === 'string' ? block['text'] : stableJson(block);
    segments.push({ text, cachePointAfter: false });
  }
  return segments;
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
export function bedrockMessages(messages: unknown): PromptSegment[] {
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
