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
    };

export interface LockClaimInput<T> {
  readonly store: Pick<ResponseStore, 'tryLock' | 'unlock' | 'refreshLock'>;
  readonly guard: StoreGuard;
  readonly key: string;
  readonly options: Pick<CachingInvokerOptions, 'lockTtlMs' | 'lockWaitMs' | 'lockPollMs'>;
  readonly now: () => number;
  /** When the caller started: the lock wait is counted from it. */
  readonly started: number;
  readonly signal: AbortSignal;
  /** Reads the entry (through the guard): undefined when there is none. */
  readonly read: () => Promise<T | undefined>;
}

/**
 * The cross-process half of coalescing a miss, for the stores without CachingInvoker's one-step readOrLock: take the
 * entry's lock (lockKeyOf: `{key}:lock`), or wait for its holder's entry within `lockWaitMs`, polling `lockPollMs` (backing off
 * to 4×); once the lock is ours, read again (the previous holder may have stored its entry between our read and our
 * lock) and keep the lock alive every `lockTtlMs / 2` until released. A poll the store did not answer says nothing
 * about the holder: the wait goes on, bounded by the deadline and the store's breaker. When the wait ends without an
 * entry or a lock, or the store cannot answer, the caller calls upstream without the lock.
 */
export async function claimOrWait<T>(input: LockClaimInput<T>): Promise<LockClaim<T>> {
  const { store, guard, key, options, now, signal, read } = input;
  const token = randomUUID();
  const lockKey = lockKeyOf(key);
  const lockTtlMs = options.lockTtlMs ?? 5000;
  let locked = await guard.run(() => store.tryLock(lockKey, token, lockTtlMs));
  const waited = locked === false;
  if (locked === false) {
    const deadline = input.started + (options.lockWaitMs ?? 30_000);
    const poll = options.lockPollMs ?? 25;
    for (let n = 0; now() < deadline && guard.breaker.state === 'closed'; n++) {
      await delay(Math.min(poll * 2 ** Math.floor(n / 8), poll * 4), undefined, { signal });
      const value = await read();
      if (value !== undefined) return { kind: 'found', value, waited: true };
      const polled = await guard.run(() => store.tryLock(lockKey, token, lockTtlMs));
      if (polled === undefined) continue;
      locked = polled;
      if (locked) break;
    }
  }
  if (locked !== true) return { kind: 'call', release: () => undefined };
  const unlock = () => void guard.run(() => store.unlock(lockKey, token));
  const value = await read();
  if (value !== undefined) {
    unlock();
    return { kind: 'found', value, waited };
  }
  const refresh = setInterval(() => void guard.run(() => store.refreshLock(lockKey, token, lockTtlMs)), lockTtlMs / 2);
  refresh.unref();
  let released = false;
  return {
    kind: 'call',
    release: () => {
      if (released) return;
      released = true;
      clearInterval(refresh);
      unlock();
    },
  };
}
