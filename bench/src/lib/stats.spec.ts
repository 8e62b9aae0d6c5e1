import { describe, expect, it } from 'vitest';
import { median, quantile, ratioFigure } from './stats';
import { zipfSequence } from './zipf';

describe(quantile, () => {
  it('takes the nearest rank', () => {
    const xs = [5, 1, 4, 2, 3];
    expect(median(xs)).toBe(3);
    expect(quantile(xs, 0.99)).toBe(5);
    expect(quantile(xs, 0)).toBe(1);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe(ratioFigure, () => {
  it('reports the median and the spread of per-round ratios', () => {
    expect(ratioFigure([1.2, 1.0, 1.4])).toEqual({ median: 1.2, min: 1.0, max: 1.4, rounds: 3 });
  });
});

describe(zipfSequence, () => {
  it('is reproducible from its seed and favours low ranks', () => {
    const a = zipfSequence(5000, 100, 1.1, 7);
    expect(zipfSequence(5000, 100, 1.1, 7)).toEqual(a);
    const top = a.filter((r) => r === 0).length;
    const tail = a.filter((r) => r === 99).length;
    expect(top).toBeGreaterThan(10 * Math.max(1, tail));
    expect(Math.max(...a)).toBeLessThan(100);
  });
});
