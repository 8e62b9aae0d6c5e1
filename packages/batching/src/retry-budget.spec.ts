import { describe, expect, it } from 'vitest';
import { RetryBudget } from './retry-budget';

const options = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 300, maxTotalDelayMs: 10_000 };

describe(RetryBudget, () => {
  it('draws each delay uniformly below a ceiling that doubles up to maxDelayMs (full jitter)', () => {
    const top = new RetryBudget(options, () => 0.999999);
    expect([top.nextDelayMs(), top.nextDelayMs(), top.nextDelayMs(), top.nextDelayMs()]).toEqual([99, 199, 299, 299]);
    const bottom = new RetryBudget(options, () => 0);
    expect(bottom.nextDelayMs()).toBe(0);
  });

  it('stops after maxAttempts in all', () => {
    const budget = new RetryBudget({ ...options, maxAttempts: 2 }, () => 0.5);
    expect(budget.nextDelayMs()).toBe(50);
    expect(budget.nextDelayMs()).toBeUndefined();
    expect(budget.attemptsMade).toBe(2);
  });

  it('clamps a random source that strays out of [0, 1)', () => {
    expect(new RetryBudget(options, () => 7).nextDelayMs()).toBe(100);
    expect(new RetryBudget(options, () => -1).nextDelayMs()).toBe(0);
  });
});
