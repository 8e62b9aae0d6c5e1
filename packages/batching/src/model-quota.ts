import { TokenBucket } from 'limiter';
import type { QuotaLimit } from './batching-invoker.options';

function bucket(perMinute: number, burstSeconds: number): TokenBucket {
  const b = new TokenBucket({
    bucketSize: Math.max(1, Math.floor((perMinute * burstSeconds) / 60)),
    tokensPerInterval: perMinute,
    interval: 'minute',
  });
  // limiter starts a bucket empty; a quota starts with its whole allowance available.
  b.content = b.bucketSize;
  return b;
}

/**
 * The request and token buckets of one base model (limiter's TokenBucket arithmetic). It never waits itself: the
 * batcher's scheduler asks `take` whether a call may start now and, when not, how long until it may, so the order
 * of waiting calls is the scheduler's (fair across tenants), and an aborted or drained call simply leaves its line.
 */
export class ModelQuota {
  private readonly requests: TokenBucket | undefined;
  private readonly tokens: TokenBucket | undefined;

  constructor(limit: QuotaLimit) {
    const burst = limit.burstSeconds ?? 60;
    this.requests = limit.requestsPerMinute === undefined ? undefined : bucket(limit.requestsPerMinute, burst);
    this.tokens = limit.tokensPerMinute === undefined ? undefined : bucket(limit.tokensPerMinute, burst);
  }

  /** The tokens a call estimated at `estimatedTokens` reserves: a request larger than the whole bucket waits for a full one. */
  reservation(estimatedTokens: number): number {
    return this.tokens ? Math.min(Math.max(0, Math.ceil(estimatedTokens)), this.tokens.bucketSize) : 0;
  }

  /** Takes one request and `tokens` (see reservation) and returns 0, or returns the milliseconds until both are there. */
  take(tokens: number): number {
    const wait = Math.max(this.requests?.getWaitTime(1) ?? 0, this.tokens?.getWaitTime(tokens) ?? 0);
    if (wait > 0) return wait;
    // Both buckets were just topped up and checked in this same tick, so both debits succeed.
    this.requests?.tryRemoveTokens(1);
    this.tokens?.tryRemoveTokens(tokens);
    return 0;
  }

  /** Corrects the token bucket once the real usage is known (positive: more was used than reserved). */
  settle(reservedTokens: number, usedTokens: number): void {
    if (!this.tokens) return;
    this.tokens.content = Math.min(this.tokens.bucketSize, this.tokens.content - (usedTokens - reservedTokens));
  }
}
