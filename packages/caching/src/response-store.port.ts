/**
 * The fetch lock of the entry at `key`: `{key}:lock`. Its hash tag is the whole key, so on a Redis Cluster the lock
 * sits in the entry's slot (a key without braces hashes whole, as request keys do: encodeURIComponent escapes braces)
 * and one script can read the entry and take its lock, or store it and free the lock.
 */
export function lockKeyOf(key: string): string {
  return `{${key}}:lock`;
}

/** What readOrLock found: the stored value, or, nothing being stored, whether the fetch lock was taken. */
export type ReadOrLock = { readonly value: string } | { readonly value?: undefined; readonly locked: boolean };

/**
 * Where cached responses live. Values are opaque strings (the invoker's envelope); the store only keeps them.
 * Any method may reject: the invoker treats every failure as a miss and goes upstream.
 */
export interface ResponseStore {
  /** Answers from this process's memory, never slow: its calls need no timeout and no circuit breaker. @default false */
  readonly inProcess?: boolean;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /**
   * Take the fetch lock for `key` for `ttlMs` unless someone else holds it (SET NX PX). True when taken, and when
   * `token` already holds it (then for `ttlMs` from now): an earlier attempt whose answer was lost to a client timeout
   * may have taken it, and its caller must not wait out its own lock.
   */
  tryLock(key: string, token: string, ttlMs: number): Promise<boolean>;
  /** Extend the lock to `ttlMs` from now if `token` still holds it. True when it did. */
  refreshLock(key: string, token: string, ttlMs: number): Promise<boolean>;
  /** Release the lock only if `token` still holds it. */
  unlock(key: string, token: string): Promise<void>;
  /**
   * `get(key)`, and when nothing is stored, `tryLock(lockKey, token, ttlMs)`, as one step: a cache miss then costs
   * one round trip to the store before the upstream call, and no answer can be stored between the read and the lock.
   */
  readOrLock(key: string, lockKey: string, token: string, ttlMs: number): Promise<ReadOrLock>;
  /** `set(key, value, ttlSeconds)`, then `unlock(lockKey, token)`, as one step: the answer stored and the lock freed. */
  setAndUnlock(key: string, value: string, ttlSeconds: number, lockKey: string, token: string): Promise<void>;
  /** Release what this store opened itself; clients passed in are left open. */
  close(): Promise<void>;
}
