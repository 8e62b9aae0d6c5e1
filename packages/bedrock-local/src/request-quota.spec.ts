import { describe, expect, it } from 'vitest';
import { RequestQuota } from './request-quota';

describe(RequestQuota, () => {
  const quota = { requestsPerWindow: 2, windowMs: 1000 };

  it('admits requestsPerWindow calls per sliding window and model, then refuses', () => {
    let now = 0;
    const q = new RequestQuota(() => now);
    expect([q.admit('m', quota), q.admit('m', quota), q.admit('m', quota)]).toEqual([true, true, false]);
    expect(q.admit('other', quota)).toBe(true);
    now = 999;
    expect(q.admit('m', quota)).toBe(false);
    now = 1001;
    expect(q.admit('m', quota)).toBe(true);
  });

  it('does not count refused calls against the window', () => {
    let now = 0;
    const q = new RequestQuota(() => now);
    q.admit('m', quota);
    q.admit('m', quota);
    now = 500;
    expect(q.admit('m', quota)).toBe(false);
    now = 1001;
    expect([q.admit('m', quota), q.admit('m', quota)]).toEqual([true, true]);
  });

  it('admits everything without a quota, and forgets on clear', () => {
    const q = new RequestQuota(() => 0);
    expect(Array.from({ length: 5 }, () => q.admit('m', null))).toEqual([true, true, true, true, true]);
    q.admit('m', { requestsPerWindow: 1, windowMs: 1000 });
    q.clear();
    expect(q.admit('m', { requestsPerWindow: 1, windowMs: 1000 })).toBe(true);
  });
});
