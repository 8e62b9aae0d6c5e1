import type { ResponseStore } from '../response-store.port';

/** A store whose every call fails, like a Redis that refuses connections. */
export const brokenStore: ResponseStore = {
  get: () => Promise.reject(new Error('ECONNREFUSED')),
  set: () => Promise.reject(new Error('ECONNREFUSED')),
  tryLock: () => Promise.reject(new Error('ECONNREFUSED')),
  refreshLock: () => Promise.reject(new Error('ECONNREFUSED')),
  unlock: () => Promise.reject(new Error('ECONNREFUSED')),
  readOrLock: () => Promise.reject(new Error('ECONNREFUSED')),
  setAndUnlock: () => Promise.reject(new Error('ECONNREFUSED')),
  close: async () => undefined,
};
