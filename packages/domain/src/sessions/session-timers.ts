/** The time a session's limits are kept in: a monotonic clock in milliseconds, and callbacks after a delay. */
export interface SessionTimers {
  now(): number;
  /** Calls `fn` once, `ms` from now; the function returned cancels it. */
  schedule(ms: number, fn: () => void): () => void;
}

export const systemSessionTimers: SessionTimers = {
  now: () => performance.now(),
  schedule: (ms, fn) => {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};
