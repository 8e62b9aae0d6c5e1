import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { AnswerCache, InvocationResult, InvokeOptions, ModelInvoker, PlannedInvocation } from '@nova-cost/domain';
import {
  NovaCostError,
  bodyTextOf,
  cacheTtlOf,
  answeredByPlannedModel,
  isReusableAnswer,
  requestKey,
  resultOfBodyText,
  withBodyText,
} from '@nova-cost/domain';
import type { CachingInvokerOptions } from './caching-invoker.options';
import type { CachingStats } from './caching-stats';
import { emptyStats } from './caching-stats';
import type { ResponseEnvelope } from './response-envelope';
import { decodeEnvelope, encodeEnvelope, ENVELOPE_VERSION } from './response-envelope';
import type { ResponseStore } from './response-store.port';
import { lockKeyOf } from './response-store.port';
import type { Share } from './shared-call';
import { SharedCalls } from './shared-call';
import { claimOrWait } from './lock-claim';
import { StoreGuard } from './store-guard';

/**
 * Serves cacheable calls (a cache plan other than 'none') from a response store, and makes one
 * upstream call for concurrent identical requests. Fails open: a slow, dead or absent store only costs
 * `storeTimeoutMs` until the circuit opens, and the request always goes upstream instead of failing. A store answer
 * that arrived in time is never taken for a timeout because this process was too busy to read it, and the answers
 * most asked for are also kept in process (`hotMaxBytes`), so a busy process or a failing store does not pay again
 * for what it just had.
 */
export class CachingInvoker implements ModelInvoker, AnswerCache {
  /** Upstream calls under way, by key: concurrent callers of a key share one, aborted only once every caller left. */
  private readonly flights = new SharedCalls<InvocationResult>();
  /** Store reads under way, by key: concurrent callers of one key share a read, as they share a flight. */
  private readonly reading = new Map<string, Promise<Claim>>();
  /** Store calls made after the callers got their answer (writes, lock releases): close() lets them land. */
  private readonly writing = new Set<Promise<unknown>>();
  private readonly hot: LRUCache<string, HotEntry> | undefined;
  private readonly storeGuard: StoreGuard;
  /** The lock wait's guard (see claimOrWait): this invoker's own, which skips the timeout for a store in process. */
  private readonly lockGuard: Pick<StoreGuard, 'run' | 'breaker'>;
  private readonly counters = emptyStats();
  private readonly now: () => number;

  constructor(
    private readonly next: ModelInvoker,
    private readonly store: ResponseStore,
    private readonly options: CachingInvokerOptions = {},
  ) {
    for (const name of ['storeTimeoutMs', 'maxEntryBytes', 'lockTtlMs', 'lockPollMs'] as const) {
      const value = options[name];
      if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
        throw new NovaCostError(
          'configuration',
          `CachingInvoker option ${name} must be a positive number, got ${value}`,
        );
      }
    }
    if (options.lockWaitMs !== undefined && !(Number.isFinite(options.lockWaitMs) && options.lockWaitMs >= 0)) {
      throw new NovaCostError(
        'configuration',
        `CachingInvoker option lockWaitMs must be 0 or more, got ${options.lockWaitMs}`,
      );
    }
    for (const name of ['hotMaxBytes', 'hotMaxAgeMs'] as const) {
      const value = options[name];
      if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
        throw new NovaCostError('configuration', `CachingInvoker option ${name} must be an integer >= 0, got ${value}`);
      }
    }
    this.now = options.now ?? Date.now;
    this.storeGuard = new StoreGuard(options.storeTimeoutMs ?? 50, options.breaker, () => (this.counters.errors += 1));
    this.lockGuard = { run: (call) => this.guard(call), breaker: this.storeGuard.breaker };
    const hotMaxBytes = options.hotMaxBytes ?? 16 * 1024 * 1024;
    if (hotMaxBytes > 0 && (options.hotMaxAgeMs ?? 60_000) > 0)
      this.hot = new LRUCache({ maxSize: hotMaxBytes, sizeCalculation: (e) => Math.max(1, e.bytes) });
  }

  async invoke(call: PlannedInvocation, options: InvokeOptions = {}): Promise<InvocationResult> {
    const ttlSeconds = cacheTtlOf(call);
    if (ttlSeconds === undefined || !(ttlSeconds > 0)) {
      this.counters.bypass += 1;
      await options.admit?.();
      return this.next.invoke(call, options);
    }
    const key = requestKey(call, call.region);
    const hot = this.hot?.get(key);
    if (hot) {
      this.counters.hotHits += 1;
      return this.hit(hot.envelope, this.now());
    }
    // A hit needs no flight and no abort signal: the store is read first (one read for concurrent callers of a key),
    // and only a miss goes further. The read takes the fetch lock when there is nothing to read (readOrLock, one round
    // trip to a store out of process), so a miss reaches upstream after one round trip, not two.
    let started = 0;
    let claim: Claim | undefined;
    if (!this.flights.has(key)) {
      started = this.now();
      claim = await this.sharedRead(key, ttlSeconds);
      if (claim.entry) return this.hit(claim.entry, started);
    }
    // The first caller whose read missed starts the flight (with the lock that read took); the others join it. A
    // caller gone before it starts must not start a flight that nobody would ever abort (SharedCalls refuses it).
    let share: Share<InvocationResult>;
    try {
      share = await this.flights.run(key, options.signal, (signal) =>
        this.fetch(key, ttlSeconds, call, signal, options.admit, started, claim),
      );
    } catch (error) {
      if (claim) this.drop(key, claim); // no flight took the lock this read took: freed, not left to its TTL
      throw error;
    }
    const { value, pays } = share;
    // The caller billed for the call (its starter, or once that one left the first caller still waiting) owns it.
    if (pays) return value;
    this.counters.coalesced += 1;
    return value.cache === 'miss' ? { ...value, cache: 'coalesced' } : value;
  }

  /**
   * AnswerCache: the stored answer of a cacheable call (cache outcome 'hit'), read without calling the next link;
   * undefined on a miss, for a call that is not cacheable, or when the store fails.
   */
  async lookup(call: PlannedInvocation): Promise<InvocationResult | undefined> {
    const ttlSeconds = cacheTtlOf(call);
    if (ttlSeconds === undefined || !(ttlSeconds > 0)) return undefined;
    const started = this.now();
    const key = requestKey(call, call.region);
    const hot = this.hot?.get(key);
    if (hot) {
      this.counters.hotHits += 1;
      return this.hit(hot.envelope, started);
    }
    const entry = await this.read(key, ttlSeconds);
    return entry ? this.hit(entry, started) : undefined;
  }

  /** AnswerCache: keeps an answer obtained another way (a batch job) for later callers of the same cacheable call. */
  async remember(call: PlannedInvocation, result: InvocationResult): Promise<void> {
    const ttlSeconds = cacheTtlOf(call);
    if (ttlSeconds === undefined || !(ttlSeconds > 0)) return;
    await this.write(requestKey(call, call.region), ttlSeconds, call.modelId, result).stored;
  }

  /** A copy of the counters. */
  stats(): CachingStats {
    return { ...this.counters };
  }

  /** How many store calls made after an answer (its write, a lock's release) are still under way. */
  get storing(): number {
    return this.writing.size;
  }

  /**
   * Lets the store calls made after answers (their writes and lock releases) land, for `deadlineMs` at most, then
   * closes the store (which quits only connections it opened itself). It waits for the store's own answer, not for
   * `storeTimeoutMs`: the caller stopped waiting long ago, and a store closed under a write that is merely slow cuts
   * what it has not sent yet (a lock release that follows the write, on a store that needs two steps). @default no bound
   */
  async close(deadlineMs = Number.POSITIVE_INFINITY): Promise<void> {
    if (this.writing.size > 0) await settledWithin([...this.writing], deadlineMs);
    await this.store.close();
  }

  private async fetch(
    key: string,
    ttlSeconds: number,
    call: PlannedInvocation,
    signal: AbortSignal,
    admit: InvokeOptions['admit'],
    started: number,
    first: Claim | undefined,
  ): Promise<InvocationResult> {
    // The caller's read, if no other flight took it, with its lock; else a new one: the lock is taken in the same step
    // as the read, so an answer another process stored meanwhile is served, and none can be stored between the two.
    // A read the store did not answer is tried once more (a busy process may have read its answer late: the breaker
    // stops the retry when the store is down), so one slow read does not pay upstream for an answer Redis holds.
    // Its token goes on either way: a read whose answer was lost may have taken the lock, which the retry then finds its
    // own (same-token reentry) instead of waiting out this process's own lock.
    const own = first !== undefined && !first.taken ? ((first.taken = true), first) : undefined;
    const claim = await claimOrWait<ResponseEnvelope>({
      store: this.store,
      guard: this.lockGuard,
      key,
      options: this.options,
      now: this.now,
      started,
      signal,
      readOrLock: async (token) => {
        const { entry, locked } = await this.readOrLock(key, ttlSeconds, token);
        return { value: entry, locked };
      },
      ...(own === undefined
        ? {}
        : own.locked === undefined
          ? { token: own.token }
          : { first: { token: own.token, step: { value: own.entry, locked: own.locked } } }),
    });
    if (claim.kind === 'found' && !claim.waited) return this.hit(claim.value, started);
    this.counters.misses += 1;
    if (claim.kind === 'found') {
      this.counters.coalesced += 1;
      return this.fromEnvelope(claim.value, 'coalesced', started);
    }
    try {
      await admit?.(); // the call is billed: only now does it take the budget's hold
      const result: InvocationResult = {
        ...(await this.next.invoke(call, { signal })),
        cache: 'miss',
      };
      // Stored after the caller has its answer (the write's round trip is off the answer path); the write frees the
      // lock in the same step, or, not stored or failed, the lock is freed on its own. Until then a waiting process
      // keeps waiting for the entry, and this process serves it from memory.
      const held = claim.handOver();
      const written = this.write(key, ttlSeconds, call.modelId, result, held);
      this.track(
        written.stored.then((released) => {
          if (held !== undefined && !released) return this.kept(() => this.store.unlock(lockKeyOf(key), held));
        }),
      );
      // The caller is sent the text being stored, not a second serialisation of the same body.
      return written.bodyText === undefined ? result : withBodyText(result, written.bodyText);
    } finally {
      claim.release(); // when the call failed: the lock is freed now, not left to its TTL
    }
  }

  /**
   * The read of `key` under way, or a new one: for a store out of process, readOrLock (the entry, or the fetch lock
   * for the flight that the miss starts); for one in process, a plain get (no round trip to save).
   */
  private sharedRead(key: string, ttlSeconds: number): Promise<Claim> {
    let pending = this.reading.get(key);
    if (!pending) {
      pending = (
        this.store.inProcess
          ? this.read(key, ttlSeconds).then((entry): Claim => ({ token: '', entry, locked: undefined, taken: true }))
          : this.readOrLock(key, ttlSeconds)
      ).finally(() => this.reading.delete(key));
      this.reading.set(key, pending);
    }
    return pending;
  }

  /** Frees the lock a read took for a flight that never started (every caller of the read left first). */
  private drop(key: string, claim: Claim): void {
    if (claim.taken || claim.locked === false) return; // a lost answer may have taken it too
    claim.taken = true;
    this.kept(() => this.store.unlock(lockKeyOf(key), claim.token));
  }

  /** Keeps `work` (a store call after the answer) until it settles, for close() to wait on. */
  private track(work: Promise<unknown>): void {
    const settled = work.then(ignore, ignore);
    this.writing.add(settled);
    void settled.then(() => this.writing.delete(settled));
  }

  /** `call` under the guard, its store call kept until the store answers (even past the guard's timeout) for close(). */
  private kept<T>(call: () => Promise<T>): Promise<T | undefined> {
    return this.guard(() => {
      const sent = call();
      this.track(sent);
      return sent;
    });
  }

  /**
   * The stored answer of `key`, or, none being stored, the fetch lock for `token` if nobody holds it: one round trip.
   * `locked` is undefined when the store failed (the call then goes upstream without the lock: failing open).
   */
  private async readOrLock(key: string, ttlSeconds: number, token: string = randomUUID()): Promise<Claim> {
    const lockKey = lockKeyOf(key);
    const lockTtlMs = this.options.lockTtlMs ?? 5000;
    const found = await this.guard(() => this.store.readOrLock(key, lockKey, token, lockTtlMs));
    if (found === undefined) return { token, locked: undefined, taken: false };
    if (found.value === undefined) return { token, locked: found.locked, taken: false };
    const entry = this.decoded(key, found.value, ttlSeconds);
    if (entry) return { token, entry, locked: false, taken: false };
    // Stored but unreadable (corrupt or foreign): a miss, overwritten by the upstream answer under the lock.
    return { token, locked: await this.guard(() => this.store.tryLock(lockKey, token, lockTtlMs)), taken: false };
  }

  private async read(key: string, ttlSeconds: number): Promise<ResponseEnvelope | undefined> {
    const raw = await this.guard(() => this.store.get(key));
    return raw === undefined ? undefined : this.decoded(key, raw, ttlSeconds);
  }

  /** A stored entry as read, kept in process; undefined when corrupt or foreign (a miss, overwritten by the answer). */
  private decoded(key: string, raw: string, ttlSeconds: number): ResponseEnvelope | undefined {
    this.counters.bytesRead += Buffer.byteLength(raw);
    const envelope = decodeEnvelope(raw);
    if (envelope) this.keepHot(key, envelope, raw.length, envelope.createdAt + ttlSeconds * 1000);
    return envelope;
  }

  /** Keeps an answer in process until it expires in the store (stored `createdAt` + its TTL), `hotMaxAgeMs` at most. */
  private keepHot(key: string, envelope: ResponseEnvelope, bytes: number, expiresAt: number): void {
    if (!this.hot) return;
    const ttl = Math.min(this.options.hotMaxAgeMs ?? 60_000, expiresAt - this.now());
    if (ttl >= 1) this.hot.set(key, { envelope, bytes }, { ttl });
  }

  private hit(entry: ResponseEnvelope, started: number): InvocationResult {
    this.counters.hits += 1;
    return this.fromEnvelope(entry, 'hit', started);
  }

  /**
   * Stores a reusable answer and, with `lockToken`, frees the fetch lock in the same step. Returns at once the body's
   * JSON text it is storing, if it is (or kept it in process), and `stored`: whether the write freed the lock (the
   * caller frees it otherwise), once the store answered. The write itself is sent before this returns.
   */
  private write(
    key: string,
    ttlSeconds: number,
    plannedModelId: string,
    result: InvocationResult,
    lockToken?: string,
  ): { readonly bodyText?: string; readonly stored: Promise<boolean> } {
    if (!isReusableAnswer(result.stopReason) || !answeredByPlannedModel(plannedModelId, result.modelId)) {
      this.counters.notStored += 1;
      return { stored: Promise.resolve(false) };
    }
    const envelope: ResponseEnvelope = {
      v: ENVELOPE_VERSION,
      bodyText: bodyTextOf(result) ?? JSON.stringify(result.body),
      usage: result.usage,
      modelId: result.modelId,
      ...(result.stopReason === undefined ? {} : { stopReason: result.stopReason }),
      createdAt: this.now(),
    };
    const raw = encodeEnvelope(envelope);
    const bytes = Buffer.byteLength(raw);
    if (bytes > (this.options.maxEntryBytes ?? 1024 * 1024)) {
      this.counters.notStored += 1;
      return { bodyText: envelope.bodyText, stored: Promise.resolve(false) };
    }
    // Kept in process whatever the store does with it: a failing or slow store then costs one call per answer.
    this.keepHot(key, envelope, raw.length, envelope.createdAt + ttlSeconds * 1000);
    const stored = this.kept(async () => {
      if (lockToken === undefined) await this.store.set(key, raw, ttlSeconds);
      else await this.store.setAndUnlock(key, raw, ttlSeconds, lockKeyOf(key), lockToken);
      return true;
    }).then((ok) => {
      if (ok) this.counters.bytesWritten += bytes;
      // A write that failed may not have freed the lock either: the caller's unlock then tries once more.
      return ok === true;
    });
    return { bodyText: envelope.bodyText, stored };
  }

  /**
   * Run one store call under the timeout and the breaker (a store in this process needs neither). Any failure yields
   * undefined and is counted.
   */
  private guard<T>(call: () => Promise<T>): Promise<T | undefined> {
    if (!this.store.inProcess) return this.storeGuard.run(call);
    const failed = (): undefined => void (this.counters.errors += 1);
    try {
      return call().catch(failed);
    } catch {
      return Promise.resolve(failed());
    }
  }

  /** The stored answer as a result whose body is the stored text: sent as it is, parsed only if something reads it. */
  private fromEnvelope(envelope: ResponseEnvelope, cache: 'hit' | 'coalesced', started: number): InvocationResult {
    return resultOfBodyText(envelope.bodyText, {
      usage: envelope.usage,
      latencyMs: this.now() - started,
      cache,
      modelId: envelope.modelId,
      ...(envelope.stopReason === undefined ? {} : { stopReason: envelope.stopReason }),
    });
  }
}

/**
 * What a read-or-lock found: the stored answer (`entry`), or whether it took the fetch lock for `token` (undefined
 * when the store failed).
 */
interface Claim {
  readonly token: string;
  readonly entry?: ResponseEnvelope;
  readonly locked: boolean | undefined;
  /** Set once a flight (or drop) owns this claim's lock: a read shared by several callers starts one flight at most. */
  taken: boolean;
}

/** An answer kept in process, and the size it counts against hotMaxBytes. */
interface HotEntry {
  readonly envelope: ResponseEnvelope;
  readonly bytes: number;
}

const ignore = (): void => undefined;

/** Resolves once every one of `work` settled, or after `ms` (not holding the process open), whichever comes first. */
async function settledWithin(work: readonly Promise<unknown>[], ms: number): Promise<void> {
  const all = Promise.allSettled(work);
  if (!Number.isFinite(ms)) {
    await all;
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms)).unref()));
  await Promise.race([all, elapsed]);
  clearTimeout(timer);
}
