import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { CachingInvokerOptions } from './caching-invoker.options';
import type { ResponseStore } from './response-store.port';
import { lockKeyOf } from './response-store.port';
import type { StoreGuard } from './store-guard';

/** What claimOrWait found: another process's answer, or the right (or the need) to call upstream. */
export type LockClaim<T> =
  | {
      readonly kind: 'found';
      readonly value: T;
      /** True when it was found after waiting for another process's lock (a coalesced answer). */
      readonly waited: boolean;
    }
  | {
      readonly kind: 'call';
      /** Ends the claim: stops refreshing the lock and frees it if it was taken. Calling it again is free. */
      readonly release: () => void;
      /**
       * Ends the claim and leaves the lock to the caller to free (a write that stores the entry and frees the lock in
       * one step): stops refreshing it and returns its token, or undefined when the claim holds no lock. Calling it
       * again, or release() after it, is free.
       */
      readonly handOver: () => string | undefined;
    };

/** One look at the store: the entry, or, none being there, whether the lock was taken (undefined: no answer). */
export interface ClaimStep<T> {
  readonly value: T | undefined;
  readonly locked: boolean | undefined;
}

interface LockClaimBase<T> {
  readonly store: Pick<ResponseStore, 'tryLock' | 'unlock' | 'refreshLock'>;
  /** Each store call runs through it; its breaker, once open, ends the wait. */
  readonly guard: Pick<StoreGuard, 'run' | 'breaker'>;
  readonly key: string;
  readonly options: Pick<CachingInvokerOptions, 'lockTtlMs' | 'lockWaitMs' | 'lockPollMs'>;
  readonly now: () => number;
  /** When the caller started: the lock wait is counted from it. */
  readonly started: number;
  readonly signal: AbortSignal;
  /** The first look, already taken by the caller with this token (its read took the lock): the claim starts from it. */
  readonly first?: { readonly token: string; readonly step: ClaimStep<T> };
  /**
   * The token of a look the caller took whose answer the store lost (it may have taken the lock): the claim looks again
   * with it, so a lock that look took counts as its own (same-token reentry), not as another process's.
   * @default a new random token
   */
  readonly token?: string;
}

/**
 * How the claim looks at the store: `read` (the entry, through the guard; undefined when there is none), the lock
 * then taken apart (tryLock); or `readOrLock`, the entry or the lock for `token` in one step (the store's readOrLock).
 */
export type LockClaimInput<T> = LockClaimBase<T> &
  (
    | { readonly read: () => Promise<T | undefined>; readonly readOrLock?: undefined }
    | { readonly readOrLock: (token: string) => Promise<ClaimStep<T>>; readonly read?: undefined }
  );

/**
 * The cross-process half of coalescing a miss, shared by the response, stream and guardrail caches: take the entry's
 * lock (lockKeyOf: `{key}:lock`), or wait for its holder's entry within `lockWaitMs`, polling `lockPollMs` (backing
 * off to 4×), and keep the lock alive every `lockTtlMs / 2` until released. With `read`, the lock is taken apart from
 * the read, so once it is ours the entry is read again (the previous holder may have stored it between our read and
 * our lock); with `readOrLock` each look reads and locks in one step, and none is needed after. A poll the store did
 * not answer says nothing about the holder: the wait goes on, bounded by the deadline and the store's breaker. When
 * the wait ends without an entry or a lock, the caller calls upstream without the lock. When the store did not answer
 * the last look (a timeout or an error: Redis may still have run it and taken the lock for our token), the caller calls
 * upstream too, and the lock is treated as ours: refreshed, handed over to the write or freed by token, each a no-op
 * if the token does not hold it, so other processes wait for this call's answer, never out the lock's TTL.
 */
export async function claimOrWait<T>(input: LockClaimInput<T>): Promise<LockClaim<T>> {
  const { store, guard, key, options, now, signal, read, readOrLock } = input;
  const token = input.first?.token ?? input.token ?? randomUUID();
  const lockKey = lockKeyOf(key);
  const lockTtlMs = options.lockTtlMs ?? 5000;
  const tryLock = () => guard.run(() => store.tryLock(lockKey, token, lockTtlMs));
  const look = async (): Promise<ClaimStep<T>> => {
    if (readOrLock) return readOrLock(token);
    const value = await read();
    return value !== undefined ? { value, locked: false } : { value: undefined, locked: await tryLock() };
  };
  // The caller has read before claiming: the first look is its own (with its lock), or the lock alone.
  const first =
    input.first?.step ?? (readOrLock ? await readOrLock(token) : { value: undefined, locked: await tryLock() });
  if (first.value !== undefined) return { kind: 'found', value: first.value, waited: false };
  let locked = first.locked;
  const waited = locked === false;
  if (locked === false) {
    // Another process is fetching: wait for its entry. The holder refreshes its lock while its call runs; once the
    // lock is gone (released without an entry, or its holder died) it is taken over, so a failed or unstorable answer
    // costs one more call at a time, never a stampede or a full wait.
    const deadline = input.started + (options.lockWaitMs ?? 30_000);
    const poll = options.lockPollMs ?? 25;
    for (let n = 0; now() < deadline && guard.breaker.state === 'closed'; n++) {
      await delay(Math.min(poll * 2 ** Math.floor(n / 8), poll * 4), undefined, { signal });
      const step = await look();
      if (step.value !== undefined) return { kind: 'found', value: step.value, waited: true };
      locked = step.locked; // undefined: the answer was lost, the next look (same token) tells whether it took the lock
      if (locked) break;
    }
  }
  if (locked === false) return { kind: 'call', release: () => undefined, handOver: () => undefined };
  const unlock = () => void guard.run(() => store.unlock(lockKey, token));
  if (read && locked) {
    const value = await read();
    if (value !== undefined) {
      unlock();
      return { kind: 'found', value, waited };
    }
  }
  const refresh = setInterval(() => void guard.run(() => store.refreshLock(lockKey, token, lockTtlMs)), lockTtlMs / 2);
  refresh.unref();
  let ended = false;
  const end = (): boolean => {
    if (ended) return false;
    ended = true;
    clearInterval(refresh);
    return true;
  };
  return {
    kind: 'call',
    release: () => {
      if (end()) unlock();
    },
    handOver: () => (end() ? token : undefined),
  };
}

/** What an entry the claim found is to its caller — a hit, or coalesced when it waited for another process — counted. */
export function foundOutcome(
  claim: { readonly waited: boolean },
  counters: { hits: number; coalesced: number },
): 'hit' | 'coalesced' {
  if (claim.waited) {
    counters.coalesced += 1;
    return 'coalesced';
  }
  counters.hits += 1;
  return 'hit';
}
