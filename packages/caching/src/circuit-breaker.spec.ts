import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './circuit-breaker';

describe(CircuitBreaker, () => {
  it('opens after failureThreshold consecutive failures, then lets one probe through after openMs', () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 2, openMs: 100 }, () => now);
    breaker.failure();
    expect(breaker.allow()).toBe(true);
    breaker.failure();
    expect(breaker.state).toBe('open');
    expect(breaker.allow()).toBe(false);
    now = 100;
    expect(breaker.allow()).toBe(true);
    expect(breaker.allow()).toBe(false);
    breaker.success();
    expect(breaker.state).toBe('closed');
  });

  it('opens again at once when the probe fails', () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 5, openMs: 100 }, () => now);
    for (let i = 0; i < 5; i++) breaker.failure();
    now = 150;
    expect(breaker.allow()).toBe(true);
    breaker.failure();
    expect(breaker.state).toBe('open');
  });

  it('a success resets the failure count', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2 });
    breaker.failure();
    breaker.success();
    breaker.failure();
    expect(breaker.state).toBe('closed');
  });
});
