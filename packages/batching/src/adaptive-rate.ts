const HORIZON_MS = 2_000;

/** How the batcher paces a model's calls from the throttles it sees. */
export interface AdaptiveRateOptions {
  /**
   * Share of throttled calls in a window taken as noise: below it nothing is paced (throttles are retried, not
   * answered by slowing everyone). Throttled calls are not billed, so a quota is best used with some of them: paced,
   * the pace climbs until about this share is throttled, and the quota's whole rate gets answered. Random throttling
   * below it (a busy region) is never followed down. @default 0.35
   */
  readonly tolerance?: number;
  /** Outcomes (answered or throttled calls) per window: the pace is judged every this many. @default 20 */
  readonly windowCalls?: number;
  /** Growth of the pace per window with few throttles. @default 0.1 */
  readonly increase?: number;
  /** Lowest pace, calls per second. @default 1 */
  readonly minPerSecond?: number;
}

/**
 * The pace of one model's calls, learnt from throttling (additive-increase/multiplicative-decrease in spirit,
 * proportional in fact). Unpaced until a window's throttled share passes the tolerance; then paced at the rate that
 * window actually got answered, plus half the tolerance in headroom, which is the upstream's quota when the
 * throttles come from one. Each window with few throttles raises the pace by `increase`; once it exceeds twice what
 * callers ask for, pacing stops. Throttling that does not fall when the pace falls (random, not from a quota) is not
 * followed down: after two such windows pacing stops, and retries alone deal with it.
 */
export class AdaptiveRate {
  private readonly tolerance: number;
  private readonly windowCalls: number;
  private readonly increase: number;
  private readonly minPerSecond: number;
  /** Calls per second; undefined: not paced. */
  private pace: number | undefined;
  private tokens = 0;
  private refilledAt = 0;
  private window = { calls: 0, throttled: 0, startedAt: 0 };
  /** When the calls answered in the last second or so finished: the rate the upstream actually serves. */
  private readonly answeredAt: number[] = [];
  /** Outcomes of calls that started before the pace last changed say nothing of the new pace. */
  private changedAt = -Infinity;
  /** Throttled share of the window that last lowered the pace, while the next one is judged. */
  private loweredAt: number | undefined;
  /** Whether the window before this one was over the tolerance. */
  private overBefore = false;

  constructor(
    options: AdaptiveRateOptions,
    /** The batcher's clock (its `now` option). */
    private readonly now: () => number,
  ) {
    this.tolerance = options.tolerance ?? 0.35;
    this.windowCalls = options.windowCalls ?? 20;
    this.increase = options.increase ?? 0.1;
    this.minPerSecond = options.minPerSecond ?? 1;
    this.window.startedAt = this.now();
  }

  /** Calls per second now, or undefined when not paced. */
  get perSecond(): number | undefined {
    return this.pace;
  }

  /** 0 when a call may start now (and takes its place), else the milliseconds until one may. */
  take(): number {
    if (this.pace === undefined) return 0;
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / this.pace) * 1000);
  }

  /** Whether calls are paced now: a throttle then means the pace was a little high, not that the call must give up. */
  get pacing(): boolean {
    return this.pace !== undefined;
  }

  /** Gives back the place take() gave, for a call that did not start after all. */
  untake(): void {
    if (this.pace !== undefined) this.tokens += 1;
  }

  /** One call's outcome: answered, or throttled by the upstream; `startedAt` is when it started (this clock). */
  record(throttled: boolean, startedAt: number): void {
    const now = this.now();
    if (!throttled) {
      this.answeredAt.push(now);
      while (this.answeredAt.length > 0 && this.answeredAt[0]! <= now - HORIZON_MS) this.answeredAt.shift();
    }
    if (startedAt < this.changedAt) return;
    this.window.calls += 1;
    if (throttled) this.window.throttled += 1;
    if (this.window.calls >= this.windowCalls) this.judge();
  }

  private judge(): void {
    const now = this.now();
    const { calls, throttled, startedAt } = this.window;
    this.window = { calls: 0, throttled: 0, startedAt: now };
    const seconds = Math.max(now - startedAt, 1) / 1000;
    const share = throttled / calls;
    const over = share > this.tolerance;
    // One window over the tolerance may be a cluster of retries coming back together: act on two in a row.
    const act = over && this.overBefore;
    this.overBefore = over;
    if (over && !act) return;
    if (act) {
      // Over the answers of the last two seconds (throttles come back at once and fill a window fast), spread over
      // at least one: a quota's first burst comes back in a fraction of a second.
      const recent = this.answeredAt.filter((t) => t > now - HORIZON_MS);
      const span = Math.max(now - (recent[0] ?? now), 1_000);
      const target = (recent.length / span) * 1000 * (1 + this.tolerance / 2);
      if (this.loweredAt !== undefined && share >= this.loweredAt && (this.pace ?? Infinity) <= 1.5 * target) {
        // The pace was already near what got answered, and lowering it did not lower the throttling: it is not
        // ours to fix by pacing (random throttles); retries deal with it.
        this.loweredAt = undefined;
        this.pace = undefined;
        this.changedAt = now;
        return;
      }
      this.setPace(Math.min(this.pace ?? Infinity, target));
      this.loweredAt = share;
      return;
    }
    this.loweredAt = undefined;
    if (this.pace === undefined) return;
    const asked = calls / seconds;
    // Far under the tolerance the pace is well below what the upstream takes (an estimate made in a burst of
    // throttles): climb fast; near it, by `increase`.
    const next = this.pace * (share <= this.tolerance / 4 ? 1 + 5 * this.increase : 1 + this.increase);
    if (next > 2 * asked) {
      this.pace = undefined;
      this.changedAt = now;
    } else this.setPace(next);
  }

  private setPace(perSecond: number): void {
    this.refill();
    this.changedAt = this.now();
    this.pace = Math.max(this.minPerSecond, perSecond);
    // A burst of at most a tenth of a second's calls.
    this.tokens = Math.min(this.tokens, Math.max(1, this.pace / 10));
  }

  private refill(): void {
    const now = this.now();
    if (this.pace !== undefined)
      this.tokens = Math.min(Math.max(1, this.pace / 10), this.tokens + ((now - this.refilledAt) / 1000) * this.pace);
    this.refilledAt = now;
  }
}
