import { resolveModelId } from './model-catalog';

/** How long Bedrock keeps a cached prompt prefix after its last use. */
export type CacheTtl = '5m' | '1h';

export const CACHE_TTL_MS: Readonly<Record<CacheTtl, number>> = { '5m': 5 * 60_000, '1h': 60 * 60_000 };

/** Where a cache point may sit, in the order Bedrock reads a prompt. */
export type PromptSection = 'tools' | 'system' | 'messages';

/** What a model allows of Bedrock prompt caching. */
export interface PromptCacheSupport {
  /** Tokens a checkpoint needs since the one before it (the first: since the start); fewer are not cached. */
  readonly minTokensPerCheckpoint: number;
  /** Cache points per request, the caller's own included. */
  readonly maxCheckpoints: number;
  /** TTLs it takes; the first is what a cache point without one gets. */
  readonly ttls: readonly CacheTtl[];
  /** Sections a cache point may sit in (Nova: none in tools). */
  readonly sections: readonly PromptSection[];
  /** The most tokens one prefix may cache (Nova); a longer prefix is not cached. @default no limit */
  readonly maxCachedTokens?: number;
}

const NOVA: PromptCacheSupport = {
  minTokensPerCheckpoint: 1_000,
  maxCheckpoints: 4,
  ttls: ['5m'],
  sections: ['system', 'messages'],
  maxCachedTokens: 32_000,
};
const claude = (minTokensPerCheckpoint: number, ttls: readonly CacheTtl[] = ['5m']): PromptCacheSupport => ({
  minTokensPerCheckpoint,
  maxCheckpoints: 4,
  ttls,
  sections: ['tools', 'system', 'messages'],
});
const HOUR: readonly CacheTtl[] = ['5m', '1h'];

/**
 * Models Bedrock caches prompts for, as its prompt-caching page lists them (Claude 3 Haiku and Claude 3.5 Sonnet v1
 * do not cache; 1-hour TTLs from the 4.5 generation on). Models newer than that page take their family's values.
 */
const SUPPORT: ReadonlyMap<string, PromptCacheSupport> = new Map([
  ['amazon.nova-micro-v1:0', NOVA],
  ['amazon.nova-lite-v1:0', NOVA],
  ['amazon.nova-pro-v1:0', NOVA],
  ['amazon.nova-premier-v1:0', NOVA],
  ['amazon.nova-2-lite-v1:0', NOVA],
  ['anthropic.claude-3-5-haiku-20241022-v1:0', claude(2_048)],
  ['anthropic.claude-3-5-sonnet-20241022-v2:0', claude(1_024)],
  ['anthropic.claude-3-7-sonnet-20250219-v1:0', claude(1_024)],
  ['anthropic.claude-sonnet-4-20250514-v1:0', claude(1_024)],
  ['anthropic.claude-opus-4-1-20250805-v1:0', claude(1_024)],
  ['anthropic.claude-sonnet-4-5-20250929-v1:0', claude(1_024, HOUR)],
  ['anthropic.claude-haiku-4-5-20251001-v1:0', claude(4_096, HOUR)],
  ['anthropic.claude-opus-4-5-20251101-v1:0', claude(4_096, HOUR)],
  ['anthropic.claude-opus-4-6-v1', claude(4_096, HOUR)],
  ['anthropic.claude-sonnet-4-6', claude(1_024, HOUR)],
  ['anthropic.claude-sonnet-5', claude(1_024, HOUR)],
  ['anthropic.claude-opus-5', claude(4_096, HOUR)],
  ['anthropic.claude-haiku-5-5', claude(4_096, HOUR)],
  ['anthropic.claude-sonnet-5-5', claude(1_024, HOUR)],
  ['anthropic.claude-opus-5-5', claude(4_096, HOUR)],
]);

/** What the model (any id, profile or ARN of it) allows of prompt caching, or undefined when it caches nothing. */
export function promptCacheSupport(modelId: string): PromptCacheSupport | undefined {
  try {
    return SUPPORT.get(resolveModelId(modelId).baseModelId);
  } catch {
    return undefined;
  }
}
