import type { CircuitBreakerOptions } from './circuit-breaker';
import { CircuitBreaker } from './circuit-breaker';
import { armLoopAwareTimeout } from './loop-aware-deadline';

/**
 * Runs store calls so that a slow, failing or dead store never fails a request: each call gets `timeoutMs` (time this
 * process was too busy to read the answer does not count, see armLoopAwareTimeout), consecutive failures open a
 * circuit breaker, and any failure, timeout or refusal yields undefined and is counted.
 */
export class StoreGuard {
  readonly breaker: CircuitBreaker;

  constructor(
    private readonly timeoutMs: number,
    breaker: CircuitBreakerOptions | undefined,
    private readonly onError: () => void,
  ) {
    this.breaker = new CircuitBreaker(breaker);
  }

  run<T>(call: () => Promise<T>): Promise<T | undefined> {
    if (!this.breaker.allow()) {
      this.onError();
      return Promise.resolve(undefined);
    }
    // Hand-rolled rather than Promise.race: this sits on the hit path, and every extra promise is latency.
    return new Promise<T | undefined>((resolve) => {
      let settled = false;
      const fail = () => {
        if (settled) return;
        settled = true;
        cancel();
        this.breaker.failure();
        this.onError();
        resolve(undefined);
      };
      const cancel = armLoopAwareTimeout(this.timeoutMs, () => settled, fail);
      let pending: Promise<T>;
      try {
        pending = call();
      } catch {
        fail();
        return;
      }
      pending.then((value) => {
        if (settled) return;
        settled = true;
        cancel();
        this.breaker.success();
        resolve(value);
      }, fail);
    });
  }
}
