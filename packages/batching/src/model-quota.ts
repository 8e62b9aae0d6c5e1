import { TokenBucket } from 'limiter';
import { abortableSleep } from './abortable-sleep';
import type { QuotaLimit } from './batching-invoker.options';

function bucket(perMinute: number, burstSeconds: number): TokenBucket {
  const b = new TokenBucket({ bucketSize: Math.max(1, Math.floor((perMinute * burstSeconds) / 60)), tokensPerInterval: perMinute, interval: 'minute' });
  // limiter starts a bucket empty; a quota starts with its whole allowance available.
  b.content = b.bucketSize;
  return b;
}

/**
 * The request and token buckets of one base model. Callers are served first come, first served (one chain
 * per model), so a large token reservation is not starved by a stream of small ones.
 *
 * The bucket arithmetic is limiter's TokenBucket; the waiting is ours, because limiter's own
 * `removeTokens()` cannot be cancelled and a queued request must leave when its caller aborts or the drain
 * deadline passes.
 */
export class ModelQuota {
  private readonly requests: TokenBucket | undefined;
  private readonly tokens: TokenBucket | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  /** Cuts short the nap of the caller at the head of the line, when settle() gives tokens back. */
  private wake: (() => void) | undefined;

  constructor(limit: QuotaLimit) {
    const burst = limit.burstSeconds ?? 60;
    this.requests = limit.requestsPerMinute === undefined ? undefined : bucket(limit.requestsPerMinute, burst);
    this.tokens = limit.tokensPerMinute === undefined ? undefined : bucket(limit.tokensPerMinute, burst);
  }

  /** Waits until one request and `estimatedTokens` tokens are available and takes them; returns the tokens taken. */
  acquire(estimatedTokens: number, signal: AbortSignal): Promise<number> {
    const turn = this.tail.then(() => this.take(estimatedTokens, signal));
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  /** Corrects the token bucket once the real usage is known (positive: more was used than reserved). */
  settle(reservedTokens: number, usedTokens: number): void {
    if (!this.tokens) return;
    this.tokens.content = Math.min(this.tokens.bucketSize, this.tokens.content - (usedTokens - reservedTokens));
    if (usedTokens < reservedTokens) this.wake?.();
  }

  private async take(estimatedTokens: number, signal: AbortSignal): Promise<number> {
    // A request larger than the whole bucket waits for a full bucket rather than forever.
    const tokens = this.tokens ? Math.min(Math.max(0, Math.ceil(estimatedTokens)), this.tokens.bucketSize) : 0;
    for (;;) {
      if (signal.aborted) throw signal.reason;
      const wait = Math.max(this.requests?.getWaitTime(1) ?? 0, this.tokens?.getWaitTime(tokens) ?? 0);
      if (wait <= 0) {
        // Both buckets were just topped up and checked in this same tick, so both debits succeed.
        this.requests?.tryRemoveTokens(1);
        this.tokens?.tryRemoveTokens(tokens);
        return tokens;
      }
      const nap = new AbortController();
      this.wake = () => nap.abort();
      try {
        await abortableSleep(wait, AbortSignal.any([signal, nap.signal]));
      } catch (error) {
        if (signal.aborted) throw error;
      } finally {
        this.wake = undefined;
      }
    }
  }
}
