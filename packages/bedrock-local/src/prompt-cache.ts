import { hashOf } from './deterministic-content';

export interface CacheOutcome {
  readonly cacheReadInputTokens: number;
  readonly cacheWriteInputTokens: number;
}

const MAX_ENTRIES = 10_000;

/**
 * Simulates Bedrock prompt caching: the first time a model sees a prefix ending at a cache point it is
 * written (billed as cache write), later it is read. Bounded, oldest prefix forgotten first.
 */
export class PromptCache {
  private readonly seen = new Set<string>();

  touch(modelId: string, prefix: string, prefixTokens: number): CacheOutcome {
    if (prefixTokens === 0) return { cacheReadInputTokens: 0, cacheWriteInputTokens: 0 };
    const key = hashOf(modelId, prefix);
    if (this.seen.has(key)) return { cacheReadInputTokens: prefixTokens, cacheWriteInputTokens: 0 };
    this.seen.add(key);
    if (this.seen.size > MAX_ENTRIES) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return { cacheReadInputTokens: 0, cacheWriteInputTokens: prefixTokens };
  }

  clear(): void {
    this.seen.clear();
  }
}
