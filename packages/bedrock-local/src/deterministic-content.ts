import { createHash } from 'node:crypto';
import { seededDice } from './seeded-dice';

/** Roughly 4 characters per token, as Bedrock's tokenizers average on English text. */
export function countTokens(text: string): number {
  return tokensOfLength(text.length);
}

/** The tokens of a text of `length` characters (see countTokens). */
export function tokensOfLength(length: number): number {
  return length <= 0 ? 0 : Math.ceil(length / 4);
}

/** JSON with sorted keys, so equal bodies hash equally whatever their key order. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Fields that change what a call costs or how it is logged, not what the model answers: left out of its seed. */
const NOT_ANSWER_CHANGING = new Set(['serviceTier', 'requestMetadata']);

/**
 * The prompt as the model reads it: without prompt-cache markers (Converse `cachePoint` blocks, Anthropic
 * `cache_control`), which change what a call costs, never the answer; a lone Anthropic text block read as the string
 * it holds (one may be turned into the other to carry a cache_control).
 */
function withoutCacheMarkers(value: unknown): unknown {
  if (Array.isArray(value)) {
    const kept = value
      .filter((v) => !(typeof v === 'object' && v !== null && 'cachePoint' in v))
      .map(withoutCacheMarkers);
    const only = kept.length === 1 ? kept[0] : undefined;
    if (typeof only === 'object' && only !== null) {
      const o = only as Record<string, unknown>;
      if (o['type'] === 'text' && typeof o['text'] === 'string' && Object.keys(o).length === 2) return o['text'];
    }
    return kept;
  }
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([k]) => k !== 'cache_control')
        .map(([k, v]) => [k, withoutCacheMarkers(v)]),
    );
  return value;
}

/** The seed of a model's answer to `body`: the same for bodies that differ only in tier, log tags or cache points. */
export function answerSeed(modelId: string, body: Record<string, unknown>): string {
  return hashOf(
    modelId,
    stableJson(
      withoutCacheMarkers(Object.fromEntries(Object.entries(body).filter(([k]) => !NOT_ANSWER_CHANGING.has(k)))),
    ),
  );
}

export function hashOf(...parts: string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\u0000');
  return h.digest('hex');
}

function seedOf(hash: string): number {
  return Number.parseInt(hash.slice(0, 8), 16);
}

const WORDS = [
  'the',
  'model',
  'answer',
  'cost',
  'token',
  'cache',
  'request',
  'nova',
  'bedrock',
  'batch',
  'route',
  'budget',
  'latency',
  'prompt',
  'result',
  'cheaper',
  'saving',
  'policy',
  'region',
  'spend',
  'ledger',
  'embedding',
  'vector',
  'local',
  'deterministic',
  'and',
  'of',
  'to',
  'is',
  'a',
  'with',
  'for',
];

export interface GeneratedText {
  readonly text: string;
  readonly outputTokens: number;
  readonly stopReason: 'end_turn' | 'max_tokens';
}

/**
 * An answer derived only from `hash`: 12 to 120 tokens of words. When `maxTokens` is below the natural
 * length the text is cut to `maxTokens` tokens and the stop reason is 'max_tokens', as a model would.
 */
export function generateText(hash: string, maxTokens: number | undefined): GeneratedText {
  const dice = seededDice(seedOf(hash));
  const targetTokens = 12 + Math.floor(dice() * 109);
  const words: string[] = [];
  let text = '';
  while (countTokens(text) < targetTokens) {
    words.push(WORDS[Math.floor(dice() * WORDS.length)] ?? 'token');
    text = words.join(' ');
  }
  text = `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
  const natural = countTokens(text);
  if (maxTokens !== undefined && maxTokens < natural) {
    return { text: text.slice(0, maxTokens * 4), outputTokens: maxTokens, stopReason: 'max_tokens' };
  }
  return { text, outputTokens: natural, stopReason: 'end_turn' };
}

/** A unit-length vector derived only from `hash`, rounded to keep bodies small. */
export function generateEmbedding(hash: string, dimensions: number): number[] {
  const dice = seededDice(seedOf(hash));
  const raw = Array.from({ length: dimensions }, () => dice() * 2 - 1);
  const norm = Math.sqrt(raw.reduce((s, x) => s + x * x, 0)) || 1;
  return raw.map((x) => Math.round((x / norm) * 1e6) / 1e6);
}
