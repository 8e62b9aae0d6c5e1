import { CACHE_TTL_MS } from '@nova-cost/domain';
import type { CacheTtl } from '@nova-cost/domain';

/** The end of a prompt part: how many tokens the prompt holds up to it, and the identity of that prefix. */
export interface PrefixBoundary {
  readonly tokens: number;
  /** A hash of the model and every part up to here. */
  readonly key: string;
}

/** A cache point the model honours: at `boundary` (an index into the boundaries), kept for `ttl`. */
export interface Checkpoint {
  readonly boundary: number;
  readonly ttl: CacheTtl;
}

export interface CacheOutcome {
  readonly cacheReadInputTokens: number;
  readonly cacheWriteInputTokens: number;
  /** Of the writes, those kept for an hour. */
  readonly cacheWrite1hInputTokens: number;
}

const MAX_ENTRIES = 10_000;
/** How many part boundaries before a cache point are looked at for an earlier cached prefix (Anthropic: ~20 blocks). */
const LOOKBACK = 20;

/**
 * Bedrock's prompt cache, per model: a prefix ending at a cache point is written the first time (cache write tokens)
 * and kept for its TTL after its last use; a later prompt with the same prefix reads it (cache read tokens) and renews
 * it. The longest cached prefix at or up to 20 part boundaries before any of the request's cache points is read; every
 * cache point after it is written, each segment with its own TTL. Bounded, oldest prefix forgotten first. The clock
 * is injected, so TTLs run on simulated time in tests and benchmarks.
 */
export class PromptCache {
  private readonly entries = new Map<string, { expiresAt: number; ttlMs: number }>();

  constructor(private readonly now: () => number) {}

  use(boundaries: readonly PrefixBoundary[], checkpoints: readonly Checkpoint[]): CacheOutcome {
    const now = this.now();
    let read: { tokens: number; boundary: number } | undefined;
    for (let c = checkpoints.length - 1; c >= 0 && !read; c--) {
      const at = checkpoints[c]!.boundary;
      for (let b = at; b >= Math.max(0, at - LOOKBACK) && !read; b--) {
        const entry = this.entries.get(boundaries[b]!.key);
        if (entry && entry.expiresAt > now) read = { tokens: boundaries[b]!.tokens, boundary: b };
      }
    }
    if (read) this.keep(boundaries[read.boundary]!.key, this.entries.get(boundaries[read.boundary]!.key)!.ttlMs, now);
    const readTokens = read?.tokens ?? 0;
    let written = 0;
    let hour = 0;
    let covered = readTokens;
    for (const point of checkpoints) {
      const { tokens, key } = boundaries[point.boundary]!;
      if (tokens <= covered) continue;
      const segment = tokens - covered;
      covered = tokens;
      written += segment;
      if (point.ttl === '1h') hour += segment;
      this.keep(key, CACHE_TTL_MS[point.ttl], now);
    }
    return { cacheReadInputTokens: readTokens, cacheWriteInputTokens: written, cacheWrite1hInputTokens: hour };
  }

  clear(): void {
    this.entries.clear();
  }

  private keep(key: string, ttlMs: number, now: number): void {
    this.entries.delete(key);
    this.entries.set(key, { expiresAt: now + ttlMs, ttlMs });
    if (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
