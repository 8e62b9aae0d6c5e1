import type { CacheTtl, PlannedInvocation, TokenUsage } from '@nova-cost/domain';
import { CACHE_TTL_MS, cacheableShape, findModel, promptLayout, resolveModelId } from '@nova-cost/domain';

/**
 * Bedrock's prompt cache in simulated time, for the cache points the policy's planner placed (the payoff guard's
 * `request.cachePoints`): the logged call's input tokens become cache reads, cache writes and plain input as Bedrock
 * would bill them had the points been there.
 *
 * - Each point caches the prompt up to its boundary (the domain's promptLayout: tools → system → messages, prefix
 *   fingerprints of the model and the prompt so far) for its TTL, renewed (for the reading point's TTL) when read.
 * - A call reads the longest of its points' prefixes still cached, and writes the prefixes of its later points (each
 *   segment at its own point's TTL).
 * - The layout's token estimates are scaled to the logged input tokens (the estimate is only a share of the prompt).
 *
 * Not simulated: a call whose logged usage already has cache reads or writes (its caller placed its own points and
 * the log says what they did: left as logged); calls answered by a batch job (no model call now).
 */
export class SimulatedPromptCache {
  /** Prefix (region, fingerprint) → until when it is cached, with its TTL. */
  private readonly entries = new Map<string, { untilMs: number; ttl: CacheTtl }>();
  private keptAtSweep = 0;

  /** @param minSweepSize prefixes held before expired ones are first dropped. @default 1024 */
  constructor(private readonly minSweepSize = 1024) {}

  get size(): number {
    return this.entries.size;
  }

  /** The usage Bedrock would bill for `request` (a model call made at `nowMs`), whose logged usage is `logged`. */
  serve(request: PlannedInvocation, logged: TokenUsage, nowMs: number): TokenUsage {
    const placements = request.cachePoints;
    if (placements.length === 0 || logged.cacheReadInputTokens > 0 || logged.cacheWriteInputTokens > 0) return logged;
    const shape = cacheableShape(request.operation, findModel(request.modelId)?.bodyFormat);
    if (!shape || !(logged.inputTokens > 0)) return logged;
    const layout = promptLayout(request.body, shape, resolveModelId(request.modelId).baseModelId);
    const estimated = Math.max(0, ...layout.boundaries.map((b) => b.tokens));
    if (!(estimated > 0)) return logged;
    const scale = logged.inputTokens / estimated;
    const { region } = request;
    const points = placements
      .flatMap((p) => {
        const b = layout.boundaries.find((x) => x.section === p.section && x.index === p.index);
        return b
          ? [
              {
                key: `${region}|${b.fingerprint}`,
                tokens: Math.min(logged.inputTokens, Math.round(b.tokens * scale)),
                ttl: p.ttl,
              },
            ]
          : [];
      })
      .sort((a, b) => a.tokens - b.tokens);
    if (points.length === 0) return logged;
    this.maybeSweep(nowMs);
    let hit = -1;
    for (let i = points.length - 1; i >= 0; i--) {
      const entry = this.entries.get(points[i]!.key);
      if (entry && entry.untilMs > nowMs) {
        hit = i;
        break;
      }
    }
    const read = hit >= 0 ? points[hit]!.tokens : 0;
    // Read prefixes are kept for their point's TTL from now; the later points' prefixes are written.
    for (let i = 0; i <= hit; i++) {
      const p = points[i]!;
      const entry = this.entries.get(p.key);
      if (entry && entry.untilMs > nowMs) this.entries.set(p.key, { untilMs: nowMs + CACHE_TTL_MS[p.ttl], ttl: p.ttl });
    }
    let write = 0;
    let write1h = 0;
    let before = read;
    for (let i = hit + 1; i < points.length; i++) {
      const p = points[i]!;
      const segment = Math.max(0, p.tokens - before);
      before = Math.max(before, p.tokens);
      write += segment;
      if (p.ttl === '1h') write1h += segment;
      this.entries.set(p.key, { untilMs: nowMs + CACHE_TTL_MS[p.ttl], ttl: p.ttl });
    }
    return {
      ...logged,
      inputTokens: logged.inputTokens - read - write,
      cacheReadInputTokens: read,
      cacheWriteInputTokens: write,
      ...(write1h > 0 ? { cacheWrite1hInputTokens: write1h } : {}),
    };
  }

  /** Drops expired prefixes once what is held has doubled since the last sweep (amortised O(1) a call). */
  private maybeSweep(nowMs: number): void {
    if (this.entries.size < Math.max(this.minSweepSize, 2 * this.keptAtSweep)) return;
    for (const [key, e] of this.entries) if (e.untilMs <= nowMs) this.entries.delete(key);
    this.keptAtSweep = this.entries.size;
  }
}
