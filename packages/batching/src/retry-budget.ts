import type { RetryOptions } from './batching-invoker.options';

/**
 * Backoff for throttled calls: exponential with full jitter (a uniform delay in [0, base × 2^n], capped),
 * which spreads retries of many callers instead of having them hit the quota again in step.
 */
export class RetryBudget {
  private attempts = 1;
  private spentMs = 0;

  constructor(
    private readonly options: Required<RetryOptions>,
    private readonly random: () => number,
  ) {}

  get attemptsMade(): number {
    return this.attempts;
  }

  /** The delay before the next attempt, or undefined when the attempts or the total delay are spent. */
  nextDelayMs(): number | undefined {
    if (this.attempts >= this.options.maxAttempts) return undefined;
    const ceiling = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (this.attempts - 1));
    const delay = Math.floor(Math.min(Math.max(this.random(), 0), 1) * ceiling);
    if (this.spentMs + delay > this.options.maxTotalDelayMs) return undefined;
    this.attempts += 1;
    this.spentMs += delay;
    return delay;
  }
}
