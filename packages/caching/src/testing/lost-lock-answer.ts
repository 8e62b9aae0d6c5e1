import type { ResponseStore } from '../response-store.port';

/**
 * `store`, as a waiter on another process's lock sees it when one poll's answer is lost: the first tryLock finds the
 * lock held by 'a holder'; on the second the holder frees it (its call failed) and the store grants the lock to the
 * waiter's token, but the answer never arrives (a client timeout); later attempts go to the store. `attempts()` counts
 * the tryLock calls.
 */
export function losesSecondLockAnswer(store: ResponseStore): { store: ResponseStore; attempts: () => number } {
  let attempts = 0;
  const wrapped: ResponseStore = Object.create(store, {
    tryLock: {
      value: async (...args: Parameters<ResponseStore['tryLock']>) => {
        attempts += 1;
        if (attempts === 1) await store.tryLock(args[0], 'a holder', 60_000);
        if (attempts !== 2) return store.tryLock(...args);
        await store.unlock(args[0], 'a holder');
        await store.tryLock(...args);
        throw new Error('a lock answer that came after the client timed out');
      },
    },
  });
  return { store: wrapped, attempts: () => attempts };
}

/** A clock one second further on each reading: a wait bounded by it ends after a few dozen polls, with no real wait. */
export function fastClock(): () => number {
  let now = 0;
  return () => (now += 1_000);
}
