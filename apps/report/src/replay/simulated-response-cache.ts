import type { CacheOutcome } from '@nova-cost/domain';

/** What the response cache and the single-flight table would do with a cacheable call. */
export type CacheDecision = Exclude<CacheOutcome, 'bypass'>;

/**
 * The gateway's response cache and in-flight table in simulated time, keyed by the domain's request key.
 * It decides as CachingInvoker does: an entry written when its call ended serves identical requests until its TTL
 * runs out; a request arriving while an identical one is still in flight (from its start to start + latency)
 * joins it; anything else goes upstream. Answers the domain says must not be reused are joined but not stored.
 */
export class SimulatedResponseCache {
  private readonly entries = new Map<string, { availableAt: number; expiresAt: number }>();
  private readonly flights = new Map<string, number>();
  /** Entries and flights held after the last sweep: the next comes once they have doubled (amortised O(1) a call). */
  private keptAtSweep = 0;

  /** @param minSweepSize entries and flights held before expired ones are first dropped. @default 1024 */
  constructor(private readonly minSweepSize = 1024) {}

  decide(key: string, now: number, call: { latencyMs: number; ttlSeconds: number; reusable: boolean }): CacheDecision {
    this.maybeSweep(now);
    const entry = this.entries.get(key);
    if (entry && entry.availableAt <= now && now < entry.expiresAt) return 'hit';
    const flightEnd = this.flights.get(key);
    if (flightEnd !== undefined && now < flightEnd) return 'coalesced';
    const end = now + call.latencyMs;
    this.flights.set(key, end);
    if (call.reusable) this.entries.set(key, { availableAt: end, expiresAt: end + call.ttlSeconds * 1000 });
    return 'miss';
  }

  /** Whether an answer for `key` is in the cache at `now` (a lookup that never joins a flight: the async API's). */
  holds(key: string, now: number): boolean {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.availableAt <= now && now < entry.expiresAt;
  }

  /** Stores an answer obtained another way (a batch job's) from `now` for `ttlSeconds`. */
  keep(key: string, now: number, ttlSeconds: number): void {
    this.maybeSweep(now);
    this.entries.set(key, { availableAt: now, expiresAt: now + ttlSeconds * 1000 });
  }

  /** Entries and flights held: what the replay's memory grows with (unique requests within a TTL). */
  get size(): number {
    return this.entries.size + this.flights.size;
  }

  /** Drops expired entries and ended flights once what is held has doubled since the last sweep. */
  private maybeSweep(now: number): void {
    if (this.size < Math.max(this.minSweepSize, 2 * this.keptAtSweep)) return;
    for (const [key, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(key);
    for (const [key, end] of this.flights) if (end <= now) this.flights.delete(key);
    this.keptAtSweep = this.size;
  }
}
