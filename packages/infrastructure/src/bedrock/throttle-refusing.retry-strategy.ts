import { AdaptiveRetryStrategy, DefaultRateLimiter, StandardRetryStrategy } from '@smithy/core/retry';

type RetryToken = Parameters<StandardRetryStrategy['recordSuccess']>[0];
type RetryErrorInfo = Parameters<StandardRetryStrategy['refreshRetryTokenForRetry']>[1];

/**
 * The SDK's standard or adaptive retry strategy, except that a throttled attempt is not retried: the call fails
 * at once, for a caller that owns throttle retries (the gateway's batcher, with its own budget and quotas) and
 * would otherwise multiply them. Transient failures (5xx, timeouts, dropped connections) are still retried. In
 * adaptive mode the client-side rate limiter still learns from the throttle.
 */
export class ThrottleRefusingRetryStrategy {
  readonly mode: 'standard' | 'adaptive';
  private readonly inner: StandardRetryStrategy | AdaptiveRetryStrategy;
  private readonly rateLimiter?: DefaultRateLimiter;

  constructor(mode: 'standard' | 'adaptive', maxAttempts: number) {
    this.mode = mode;
    if (mode === 'adaptive') {
      this.rateLimiter = new DefaultRateLimiter();
      this.inner = new AdaptiveRetryStrategy(maxAttempts, { rateLimiter: this.rateLimiter });
    } else {
      this.inner = new StandardRetryStrategy(maxAttempts);
    }
  }

  acquireInitialRetryToken(retryTokenScope: string): Promise<RetryToken> {
    // Both strategies hand out standard tokens; the adaptive one only declares the narrower interface.
    return this.inner.acquireInitialRetryToken(retryTokenScope) as Promise<RetryToken>;
  }

  async refreshRetryTokenForRetry(token: RetryToken, errorInfo: RetryErrorInfo): Promise<RetryToken> {
    if (errorInfo.errorType === 'THROTTLING') {
      this.rateLimiter?.updateClientSendingRate(errorInfo);
      // The retry middleware rethrows the attempt's own error when the strategy refuses a token.
      throw new Error('throttled attempts are not retried (retryThrottles: false)');
    }
    return this.inner.refreshRetryTokenForRetry(token, errorInfo) as Promise<RetryToken>;
  }

  recordSuccess(token: RetryToken): void {
    this.inner.recordSuccess(token);
  }
}
