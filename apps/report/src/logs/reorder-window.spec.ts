import { describe, expect, it } from 'vitest';
import type { LoggedCall } from './logged-call';
import { ReorderWindow } from './reorder-window';

const at = (ms: number, id = String(ms), length = 10) =>
  ({ at: ms, requestId: id, origin: { file: 'f', line: 1, length } }) as LoggedCall;

function run(window: ReorderWindow, times: number[]): number[] {
  const out: number[] = [];
  for (const t of times) {
    const c = window.push(at(t));
    if (c) out.push(c.at);
  }
  for (const c of window.drain()) out.push(c.at);
  return out;
}

describe(ReorderWindow, () => {
  it('puts calls displaced by less than its capacity in time order', () => {
    expect(run(new ReorderWindow(3), [1, 3, 2, 5, 4, 6, 8, 7])).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
  it('keeps the log order of calls at the same time', () => {
    const w = new ReorderWindow(4);
    const ids: string[] = [];
    for (const id of ['a', 'b', 'c']) w.push(at(5, id));
    for (const c of w.drain()) ids.push(c.requestId);
    expect(ids).toEqual(['a', 'b', 'c']);
  });
  it('counts a call later than the window as late instead of holding everything', () => {
    const w = new ReorderWindow(2);
    expect(run(w, [10, 11, 12, 13, 1, 14])).toEqual([10, 11, 1, 12, 13, 14]);
    expect(w.late).toBe(1);
  });
  it('holds fewer calls when their records are large, so memory stays bounded by characters too', () => {
    const w = new ReorderWindow(100, 250);
    const released: number[] = [];
    for (const t of [3, 1, 2, 5, 4]) {
      const c = w.push(at(t, String(t), 100));
      if (c) released.push(c.at);
    }
    // Two records of 100 fit in 250 characters; the third pushes out the earliest.
    expect(released).toEqual([1, 2, 3]);
    expect([...w.drain()].map((c) => c.at)).toEqual([4, 5]);
  });

  it('refuses a capacity below 1', () => {
    expect(() => new ReorderWindow(0)).toThrow(RangeError);
  });
});
