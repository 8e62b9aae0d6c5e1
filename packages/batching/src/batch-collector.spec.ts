import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchCollector } from './batch-collector';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe(BatchCollector, () => {
  const rule = { maxBatchSize: 3, maxWaitMs: 100 };

  it('hands a batch over when full, and starts a fresh one whose timer is its own', () => {
    const flushed: number[][] = [];
    const collector = new BatchCollector<number>((items) => flushed.push(items));
    [1, 2, 3, 4].forEach((n) => collector.add('k', n, rule));
    expect(flushed).toEqual([[1, 2, 3]]);
    vi.advanceTimersByTime(99);
    expect(flushed).toEqual([[1, 2, 3]]);
    vi.advanceTimersByTime(1);
    expect(flushed).toEqual([[1, 2, 3], [4]]);
  });

  it('keeps keys apart and flushes all of them on demand', () => {
    const flushed: string[][] = [];
    const collector = new BatchCollector<string>((items) => flushed.push(items));
    collector.add('a', 'a1', rule);
    collector.add('b', 'b1', rule);
    collector.add('a', 'a2', rule);
    expect(collector.heldBatches).toBe(2);
    expect(collector.heldItems).toBe(3);
    collector.flushAll();
    expect(flushed).toEqual([['a1', 'a2'], ['b1']]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
