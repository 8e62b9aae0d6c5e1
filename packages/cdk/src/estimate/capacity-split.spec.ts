import { describe, expect, it } from 'vitest';
import { splitTasks } from './capacity-split';

const strategy = [
  { capacityProvider: 'FARGATE_SPOT', weight: 4, base: 0 },
  { capacityProvider: 'FARGATE', weight: 1, base: 2 },
];

describe(splitTasks, () => {
  it('places the base on FARGATE first, then 4:1 Spot to on-demand', () => {
    // 5 tasks: 2 base on FARGATE; the other 3 split 4:1 → Spot 2.4, FARGATE 0.6 → FARGATE 2.6 in all.
    const split = splitTasks(5, strategy);
    expect(split.get('FARGATE_SPOT')).toBeCloseTo(2.4, 10);
    expect(split.get('FARGATE')).toBeCloseTo(2.6, 10);
  });

  it('keeps everything on the base while the count is at or under it', () => {
    expect(splitTasks(2, strategy)).toEqual(
      new Map([
        ['FARGATE_SPOT', 0],
        ['FARGATE', 2],
      ]),
    );
    expect(splitTasks(1, strategy)).toEqual(
      new Map([
        ['FARGATE_SPOT', 0],
        ['FARGATE', 1],
      ]),
    );
  });

  it('treats a service without a strategy as on-demand FARGATE', () => {
    expect(splitTasks(3, [])).toEqual(new Map([['FARGATE', 3]]));
  });
});
