import type { GuardrailApplier, GuardrailRequest, GuardrailResult, InvokeOptions, JsonObject } from '@nova-cost/domain';
import { NovaCostError, guardrailKey, isJsonObject } from '@nova-cost/domain';
import type { CachingInvokerOptions } from '../caching-invoker.options';
import type { CircuitBreakerOptions } from '../circuit-breaker';
import { claimOrWait, foundOutcome } from '../lock-claim';
import type { ResponseStore } from '../response-store.port';
import { SharedCalls } from '../shared-call';
import { StoreGuard } from '../store-guard';

export interface CachingGuardrailApplierOptions {
  /** Region in the cache key when the request names none. @default 'us-east-1' */
  readonly region?: string;
  /** Budget of each store call; past it the call counts as failed and the request goes upstream. @default 50 */
  readonly storeTimeoutMs?: number;
  /** Answers whose entry is larger than this many bytes are not stored. @default 1048576 (1 MiB) */
  readonly maxEntryBytes?: number;
  /** Circuit breaker around the store. @default { failureThreshold: 5, openMs: 1000 } */
  readonly breaker?: CircuitBreakerOptions;
  /** Milliseconds since epoch, for entry timestamps and latency. @default Date.now */
  readonly now?: () => number;
  /** As CachingInvoker's: the cross-process fetch lock's life without a refresh. @default 5000 */
  readonly lockTtlMs?: CachingInvokerOptions['lockTtlMs'];
  /** As CachingInvoker's: longest wait for another process's answer before calling upstream. @default 30000 */
  readonly lockWaitMs?: CachingInvokerOptions['lockWaitMs'];
  /** As CachingInvoker's: interval between store reads while waiting. @default 25 */
  readonly lockPollMs?: CachingInvokerOptions['lockPollMs'];
}

/** Bumped when the entry shape changes: older entries then read as misses and get replaced. */
const ENTRY_VERSION = 1;

/** Counters since the applier was made. */
export interface GuardrailCacheStats {
  hits: number;
  misses: number;
  /** Not cacheable (no `request.cache`): passed straight on. */
  bypass: number;
  /** Answered by joining an identical call already under way (same tenant, guardrail version and content). */
  coalesced: number;
  /** Store calls that failed, timed out or were refused by the open circuit. */
  errors: number;
}

/**
 * Serves cacheable ApplyGuardrail requests (`request.cache`, set by the use case) from a response store: the same
 * guardrail version and content get the assessment Bedrock gave the first time, without a billed call. Identical
 * checks in flight at once (same tenant, guardrail version and content) make one upstream call: the first caller's,
 * which the others join (cache 'coalesced'); it is aborted only when every caller left, and when the first caller
 * leaves before the answer, the first caller still waiting gets it as its own (cache 'miss', so it is billed).
 * Across processes, a caller that finds another holding the key's lock waits for its answer (`lockWaitMs`). Fails
 * open: a slow or dead store costs `storeTimeoutMs`, then the call goes upstream. The budget is admitted only for a
 * call that goes upstream.
 */
export class CachingGuardrailApplier implements GuardrailApplier {
  private readonly guard: StoreGuard;
  private readonly counters: GuardrailCacheStats = { hits: 0, misses: 0, bypass: 0, coalesced: 0, errors: 0 };
  private readonly flights = new SharedCalls<GuardrailResult>();
  private readonly now: () => number;

  constructor(
    private readonly next: GuardrailApplier,
    private readonly store: ResponseStore,
    private readonly options: CachingGuardrailApplierOptions = {},
  ) {
    for (const name of ['storeTimeoutMs', 'maxEntryBytes', 'lockTtlMs', 'lockPollMs'] as const) {
      const value = options[name];
      if (value !== undefined && !(Number.isFinite(value) && value > 0))
        throw new NovaCostError(
          'configuration',
          `CachingGuardrailApplier option ${name} must be a positive number, got ${value}`,
        );
    }
    const wait = options.lockWaitMs;
    if (wait !== undefined && !(Number.isFinite(wait) && wait >= 0))
      throw new NovaCostError(
        'configuration',
        `CachingGuardrailApplier option lockWaitMs must be 0 or more, got ${wait}`,
      );
    this.now = options.now ?? Date.now;
    this.guard = new StoreGuard(options.storeTimeoutMs ?? 50, options.breaker, () => (this.counters.errors += 1));
  }

  async apply(request: GuardrailRequest, options: InvokeOptions = {}): Promise<GuardrailResult> {
    const ttlSeconds = request.cache?.ttlSeconds;
    if (ttlSeconds === undefined || !(ttlSeconds > 0)) {
      this.counters.bypass += 1;
      await options.admit?.();
      return this.next.apply(request, options);
    }
    const started = this.now();
    const key = guardrailKey(request, request.region ?? this.options.region ?? 'us-east-1');
    // A check of this content under way answers this caller too; only with none is the store read.
    if (!this.flights.has(key)) {
      const cached = await this.read(key);
      if (cached) {
        this.counters.hits += 1;
        return { body: cached, cache: 'hit', latencyMs: this.now() - started };
      }
    }
    const { value, pays } = await this.flights.run(key, options.signal, (signal) =>
      this.fetch(key, ttlSeconds, request, { ...options, signal }),
    );
    // The caller billed for the call (its starter, or the first caller left once the starter left) gets it as its own.
    if (pays) return value;
    this.counters.coalesced += 1;
    return { ...value, cache: 'coalesced', latencyMs: this.now() - started };
  }

  /**
   * The call of a flight. Another process checking the same content holds the key's lock: its answer is waited for
   * (within `lockWaitMs`) and answers this flight too, at no cost; once its lock goes without an answer (it failed or
   * died) this process takes the lock over. Otherwise the call is admitted, sent, and its answer stored.
   */
  private async fetch(
    key: string,
    ttlSeconds: number,
    request: GuardrailRequest,
    options: InvokeOptions & { signal: AbortSignal },
  ): Promise<GuardrailResult> {
    const started = this.now();
    this.counters.misses += 1;
    const claim = await claimOrWait({
      store: this.store,
      guard: this.guard,
      key,
      options: this.options,
      now: this.now,
      started,
      signal: options.signal,
      read: () => this.read(key),
    });
    if (claim.kind === 'found') {
      const cache = foundOutcome(claim, this.counters);
      return { body: claim.value, cache, latencyMs: this.now() - started };
    }
    try {
      await options.admit?.();
      const result: GuardrailResult = { ...(await this.next.apply(request, options)), cache: 'miss' };
      const entry = JSON.stringify({ v: ENTRY_VERSION, body: result.body, createdAt: this.now() });
      if (Buffer.byteLength(entry) <= (this.options.maxEntryBytes ?? 1024 * 1024))
        await this.guard.run(() => this.store.set(key, entry, ttlSeconds));
      return result;
    } finally {
      claim.release();
    }
  }

  private async read(key: string): Promise<JsonObject | undefined> {
    const raw = await this.guard.run(() => this.store.get(key));
    return raw === undefined ? undefined : decodeEntry(raw);
  }

  /** A copy of the counters. */
  stats(): GuardrailCacheStats {
    return { ...this.counters };
  }
}

/** The answer an entry holds, or undefined when it is corrupt or of another version. Never throws. */
function decodeEntry(raw: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return isJsonObject(value) && value['v'] === ENTRY_VERSION && isJsonObject(value['body'])
      ? value['body']
      : undefined;
  } catch {
    return undefined;
  }
}
