import { createHash } from 'node:crypto';
import type { JsonObject, JsonValue } from '../json';
import { isJsonObject } from '../json';
import type { CacheTtl, PromptSection } from '../models/prompt-cache-support';
import type { Operation } from './invocation.types';
import { bodyShapeOf } from './invocation.types';
import { jsonTokens, textTokens } from './token-estimate';

/**
 * A place a cache point may go: after tool `index` (tools), after system block `index` (system), or at the end of
 * message `index` (messages), with the prompt's estimated tokens up to there and a fingerprint of that prefix.
 */
export interface PromptBoundary {
  readonly section: PromptSection;
  readonly index: number;
  /** Prompt tokens up to here, leaning high (see textTokens). */
  readonly tokens: number;
  /** A hash of the model and the prompt up to here, cache markers left out: equal prefixes, equal fingerprints. */
  readonly fingerprint: string;
}

/** A cache point the caller placed itself: where, and its TTL. */
export interface CallerCachePoint {
  readonly section: PromptSection;
  readonly tokens: number;
  readonly ttl: CacheTtl;
}

/** A prompt as prompt caching sees it: where points may go (in reading order), and the caller's own. */
export interface PromptLayout {
  /** The last tool, the last system block, and the end of every message, in reading order. */
  readonly boundaries: readonly PromptBoundary[];
  readonly callerPoints: readonly CallerCachePoint[];
}

/** A cache point the policy places: at a boundary, kept for `ttl`. */
export interface CachePointPlacement {
  readonly section: PromptSection;
  readonly index: number;
  readonly ttl: CacheTtl;
}

type Shape = 'converse' | 'anthropic';

/** The body shape prompt caching applies to: Converse (and Nova's messages-v1), Anthropic's; none for the rest. */
export function cacheableShape(operation: Operation, bodyFormat: string | undefined): Shape | undefined {
  if (operation === 'count-tokens') return undefined;
  if (bodyShapeOf(operation) === 'converse') return 'converse';
  if (bodyFormat === 'nova-messages-v1') return 'converse';
  return bodyFormat === 'anthropic-messages' ? 'anthropic' : undefined;
}

function list(value: JsonValue | undefined): JsonValue[] {
  return Array.isArray(value) ? value : [];
}

function ttlOf(value: JsonValue | undefined): CacheTtl {
  return isJsonObject(value) && value['ttl'] === '1h' ? '1h' : '5m';
}

/** The caller's own cache marker on a block: Converse's `{cachePoint}` block, or Anthropic's `cache_control`. */
function markerOf(block: JsonValue, shape: Shape): { ttl: CacheTtl } | undefined {
  if (!isJsonObject(block)) return undefined;
  if (shape === 'converse') return 'cachePoint' in block ? { ttl: ttlOf(block['cachePoint']) } : undefined;
  return block['cache_control'] !== undefined ? { ttl: ttlOf(block['cache_control']) } : undefined;
}

function tokensOf(block: JsonValue): number {
  if (typeof block === 'string') return textTokens(block);
  if (isJsonObject(block) && typeof block['text'] === 'string' && Object.keys(block).length <= 3)
    return textTokens(block['text']);
  return jsonTokens(block);
}

/** Without the cache markers, so a prefix's fingerprint does not depend on where points sit. */
function unmarked(block: JsonValue): JsonValue {
  if (!isJsonObject(block)) return block;
  const { cache_control: _control, ...rest } = block;
  return rest;
}

/**
 * Reads a Converse, Nova messages-v1 or Anthropic Messages body into its cacheable layout: tools, then system, then
 * messages, with token estimates, prefix fingerprints and the caller's own cache points.
 */
export function promptLayout(body: JsonObject, shape: Shape, modelId: string): PromptLayout {
  const hash = createHash('sha256').update(modelId);
  const boundaries: PromptBoundary[] = [];
  const callerPoints: CallerCachePoint[] = [];
  let tokens = 0;
  const read = (section: PromptSection, blocks: readonly JsonValue[]): void => {
    for (const block of blocks) {
      const marker = markerOf(block, shape);
      if (marker && shape === 'converse') {
        callerPoints.push({ section, tokens, ttl: marker.ttl });
        continue;
      }
      tokens += tokensOf(block);
      hash.update('\u0000').update(JSON.stringify(unmarked(block)));
      if (marker) callerPoints.push({ section, tokens, ttl: marker.ttl });
    }
  };
  const boundary = (section: PromptSection, index: number): void => {
    boundaries.push({ section, index, tokens, fingerprint: hash.copy().digest('hex') });
  };
  const tools =
    shape === 'converse'
      ? list(isJsonObject(body['toolConfig']) ? body['toolConfig']['tools'] : undefined)
      : list(body['tools']);
  read('tools', tools);
  if (tools.length > 0) boundary('tools', tools.length - 1);
  const system = typeof body['system'] === 'string' ? [body['system']] : list(body['system']);
  read('system', system);
  if (system.length > 0) boundary('system', system.length - 1);
  list(body['messages']).forEach((message, i) => {
    const content = isJsonObject(message) ? message['content'] : undefined;
    read('messages', typeof content === 'string' ? [content] : list(content));
    tokens += 4; // role and turn markers
    boundary('messages', i);
  });
  return { boundaries, callerPoints };
}

/** Converse's cache point block. */
const cachePoint = (ttl: CacheTtl): JsonObject => ({
  cachePoint: { type: 'default', ...(ttl === '5m' ? {} : { ttl }) },
});
/** Anthropic's cache marker. */
const cacheControl = (ttl: CacheTtl): JsonObject => ({ type: 'ephemeral', ...(ttl === '5m' ? {} : { ttl }) });

/** `blocks` with a cache marker after block `index` (Converse: a block of its own; Anthropic: on the block). */
function marked(blocks: JsonValue, index: number, ttl: CacheTtl, shape: Shape): JsonValue {
  const array: JsonValue[] = typeof blocks === 'string' ? [{ type: 'text', text: blocks }] : list(blocks);
  if (index < 0 || index >= array.length) return blocks;
  if (shape === 'converse') return [...array.slice(0, index + 1), cachePoint(ttl), ...array.slice(index + 1)];
  return array.map((b, i) =>
    i === index && isJsonObject(b) && b['cache_control'] === undefined ? { ...b, cache_control: cacheControl(ttl) } : b,
  );
}

/** The body with the policy's cache points written where the model family reads them; the caller's body untouched. */
export function withCachePoints(
  body: JsonObject,
  shape: Shape,
  placements: readonly CachePointPlacement[],
): JsonObject {
  let out: JsonObject = body;
  // From the last: an insertion never moves the index of one still to come in the same list.
  for (const p of [...placements].reverse()) {
    if (p.section === 'tools') {
      if (shape === 'converse' && isJsonObject(out['toolConfig'])) {
        const config = out['toolConfig'];
        out = { ...out, toolConfig: { ...config, tools: marked(config['tools'] ?? [], p.index, p.ttl, shape) } };
      } else if (shape === 'anthropic') out = { ...out, tools: marked(out['tools'] ?? [], p.index, p.ttl, shape) };
    } else if (p.section === 'system' && out['system'] !== undefined) {
      out = { ...out, system: marked(out['system'], p.index, p.ttl, shape) };
    } else if (p.section === 'messages') {
      const messages = list(out['messages']);
      const message = messages[p.index];
      if (!isJsonObject(message)) continue;
      const content = typeof message['content'] === 'string' ? [message['content']] : list(message['content']);
      const last = content.length - 1;
      const updated = { ...message, content: marked(message['content'] ?? [], last, p.ttl, shape) };
      out = { ...out, messages: messages.map((m, i) => (i === p.index ? updated : m)) };
    }
  }
  return out;
}
