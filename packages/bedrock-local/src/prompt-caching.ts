import { createHash } from 'node:crypto';
import type { CacheTtl, PromptSection } from '@nova-cost/domain';
import { NovaCostError, promptCacheSupport } from '@nova-cost/domain';
import { countTokens, tokensOfLength } from './deterministic-content';
import type { Checkpoint, PrefixBoundary } from './prompt-cache';
import { PromptCache } from './prompt-cache';
import type { PromptPart } from './prompt';
import { isObject, promptText } from './prompt';
import { validation } from './wire-error';

/** Cache points the local endpoint refuses, as Bedrock refuses a placement a model does not allow. */
export interface LocalBedrockPromptCaching {
  /**
   * Each rule refuses cache points of the listed models (base ids; all when absent) in the listed sections (all when
   * absent) with a ValidationException naming the cachePoint. `null` drops every rule. @default []
   */
  refuse?: { models?: string[]; sections?: PromptSection[] }[] | null;
}

type RefuseRule = { readonly models?: readonly string[]; readonly sections?: readonly PromptSection[] };

export interface PromptUsage {
  /** Input tokens not served from or written to the prompt cache. */
  readonly inputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly cacheWriteInputTokens: number;
  readonly cacheWrite1hInputTokens: number;
  /** Everything the model read. */
  readonly fullText: string;
}

const SECTIONS: readonly PromptSection[] = ['tools', 'system', 'messages'];
const ORDER: Readonly<Record<CacheTtl, number>> = { '5m': 0, '1h': 1 };

export function resolvePromptCaching(value: unknown, base: readonly RefuseRule[] = []): readonly RefuseRule[] {
  if (value === undefined) return base;
  if (!isObject(value)) throw new NovaCostError('configuration', 'promptCaching must be an object with refuse');
  const refuse = value['refuse'];
  if (refuse === undefined) return base;
  if (refuse === null) return [];
  const ok = (v: unknown, each: (s: unknown) => boolean) => v === undefined || (Array.isArray(v) && v.every(each));
  if (
    !Array.isArray(refuse) ||
    !refuse.every(
      (r) =>
        isObject(r) &&
        ok(r['models'], (m) => typeof m === 'string') &&
        ok(r['sections'], (s) => SECTIONS.includes(s as PromptSection)),
    )
  )
    throw new NovaCostError(
      'configuration',
      'promptCaching.refuse must be an array of {models?: [base model id], sections?: [tools|system|messages]}',
    );
  return refuse as RefuseRule[];
}

/**
 * Bedrock prompt caching as the local endpoint does it: checks a request's cache points as Bedrock does (the model
 * caches prompts, at most its checkpoints, sections it allows, TTLs it takes and that do not increase through tools,
 * system and messages; refused placements), honours those with at least the model's minimum tokens since the one
 * before (and no more than its maximum cached tokens), and splits the prompt's tokens into read, written and plain.
 */
export class PromptCaching {
  private readonly cache: PromptCache;
  private refuse: readonly RefuseRule[] = [];

  constructor(now: () => number) {
    this.cache = new PromptCache(now);
  }

  configure(value: unknown): void {
    this.refuse = resolvePromptCaching(value, this.refuse);
  }

  clear(): void {
    this.cache.clear();
  }

  measure(baseModelId: string, parts: readonly PromptPart[]): PromptUsage {
    const fullText = promptText(parts);
    const total = countTokens(fullText);
    const asked = this.checkpoints(baseModelId, parts);
    if (asked.points.length === 0)
      return {
        inputTokens: total,
        cacheReadInputTokens: 0,
        cacheWriteInputTokens: 0,
        cacheWrite1hInputTokens: 0,
        fullText,
      };
    const outcome = this.cache.use(asked.boundaries, asked.points);
    return {
      ...outcome,
      inputTokens: Math.max(0, total - outcome.cacheReadInputTokens - outcome.cacheWriteInputTokens),
      fullText,
    };
  }

  /** The prompt's part boundaries, and the cache points the model honours at them; refuses misplaced ones. */
  private checkpoints(
    baseModelId: string,
    parts: readonly PromptPart[],
  ): { boundaries: PrefixBoundary[]; points: Checkpoint[] } {
    const boundaries: PrefixBoundary[] = [];
    const asked: { boundary: number; ttl: CacheTtl; section: PromptSection }[] = [];
    const hash = createHash('sha256').update(baseModelId);
    // The prefix is the texts so far joined by newlines: counted as it grows (a request of many parts stays linear).
    let prefixLength = -1;
    for (const part of parts) {
      if ('text' in part) {
        prefixLength += 1 + part.text.length;
        hash.update('\u0000').update(part.text);
        boundaries.push({ tokens: tokensOfLength(prefixLength), key: hash.copy().digest('hex') });
      } else if (boundaries.length > 0) {
        asked.push({ boundary: boundaries.length - 1, ttl: this.ttlOf(baseModelId, part), section: part.section });
      } else this.ttlOf(baseModelId, part); // a point before any text caches nothing, but is checked all the same
    }
    const count = parts.filter((p) => 'cachePoint' in p).length;
    if (count === 0) return { boundaries, points: [] };
    const support = promptCacheSupport(baseModelId);
    if (!support) throw validation(`The model ${baseModelId} does not support prompt caching: remove the cachePoint.`);
    if (count > support.maxCheckpoints)
      throw validation(
        `A request may hold at most ${support.maxCheckpoints} cachePoint blocks (cache checkpoints); it held ${count}.`,
      );
    for (const part of parts) {
      if (!('cachePoint' in part)) continue;
      if (!support.sections.includes(part.section))
        throw validation(`The model ${baseModelId} does not support a cachePoint in ${part.section}.`);
      if (
        this.refuse.some(
          (r) => (!r.models || r.models.includes(baseModelId)) && (!r.sections || r.sections.includes(part.section)),
        )
      )
        throw validation(`The model ${baseModelId} does not support a cachePoint in ${part.section} here.`);
    }
    asked.forEach((point, i) => {
      const before = asked[i - 1];
      if (before && ORDER[point.ttl] > ORDER[before.ttl])
        throw validation(
          `cachePoint TTLs must not increase through tools, system and messages: a ${point.ttl} cachePoint follows a ${before.ttl} one.`,
        );
    });
    // Honoured: at least the minimum since the last honoured one, and within the most a prefix may cache.
    const points: Checkpoint[] = [];
    let last = 0;
    for (const point of asked) {
      const tokens = boundaries[point.boundary]!.tokens;
      if (tokens - last < support.minTokensPerCheckpoint) continue;
      if (support.maxCachedTokens !== undefined && tokens > support.maxCachedTokens) continue;
      points.push({ boundary: point.boundary, ttl: point.ttl });
      last = tokens;
    }
    return { boundaries, points };
  }

  private ttlOf(baseModelId: string, part: PromptPart): CacheTtl {
    const ttl = 'cachePoint' in part ? part.cachePoint.ttl : undefined;
    if (ttl === undefined) return '5m';
    const support = promptCacheSupport(baseModelId);
    if ((ttl !== '5m' && ttl !== '1h') || (support && !support.ttls.includes(ttl)))
      throw validation(
        `The cachePoint ttl ${JSON.stringify(ttl)} is not supported for model ${baseModelId}; use ${(support?.ttls ?? ['5m']).join(' or ')}.`,
      );
    return ttl;
  }
}
