import type {
  InvokeOptions,
  ModelStream,
  ModelStreamEvent,
  ModelStreamer,
  PlannedInvocation,
  StreamOperation,
} from '@nova-cost/domain';
import {
  NovaCostError,
  answeredByPlannedModel,
  cacheTtlOf,
  isReusableAnswer,
  isStreamOperation,
  requestKey,
} from '@nova-cost/domain';
import type { CachingInvokerOptions } from '../caching-invoker.options';
import type { CachingStats } from '../caching-stats';
import { emptyStats } from '../caching-stats';
import { claimOrWait, foundOutcome } from '../lock-claim';
import type { ResponseStore } from '../response-store.port';
import { StoreGuard } from '../store-guard';
import type { StreamEnvelope } from './stream-envelope';
import { decodeStreamEnvelope, encodeStreamEnvelope, STREAM_ENVELOPE_VERSION } from './stream-envelope';
import type { FlightStart } from './stream-flight';
import { StreamFlight } from './stream-flight';
import { StreamTee } from './stream-tee';

/** The CachingInvoker's options that apply to streams; `maxEntryBytes` also bounds what a stream keeps in memory for late joiners. */
export type CachingStreamerOptions = Pick<
  CachingInvokerOptions,
  'storeTimeoutMs' | 'maxEntryBytes' | 'lockTtlMs' | 'lockWaitMs' | 'lockPollMs' | 'breaker' | 'now'
>;

const sizeOf = (event: ModelStreamEvent): number => event.type.length + JSON.stringify(event.payload).length;

/**
 * The cache and coalescing of streaming calls (ConverseStream, InvokeModelWithResponseStream). A cacheable request is
 * answered from a recorded stream when there is one, replayed as the same events. Otherwise identical requests in
 * flight share one upstream stream: a caller that joins late gets every event so far, then follows live, and the
 * upstream call is closed only when every caller has left. Across processes, a caller that finds another holding the
 * request's lock waits for its recording (within `lockWaitMs`), then replays it. A stream is recorded only once it is
 * complete (it ended with its usage: Converse's `metadata`, not `messageStop`) with a stop reason worth reusing; one
 * cut, failed or abandoned is never stored. Like CachingInvoker, it fails open: a store that is slow or down costs
 * `storeTimeoutMs` at most, and the stream goes upstream.
 */
export class CachingStreamer implements ModelStreamer {
  private readonly flights = new Map<string, StreamFlight>();
  private readonly counters = emptyStats();
  private readonly guard: StoreGuard;
  private readonly now: () => number;

  constructor(
    private readonly next: ModelStreamer,
    private readonly store: ResponseStore,
    private readonly options: CachingStreamerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.guard = new StoreGuard(options.storeTimeoutMs ?? 50, options.breaker, () => (this.counters.errors += 1));
  }

  async stream(call: PlannedInvocation, options: InvokeOptions = {}): Promise<ModelStream> {
    const operation = call.operation;
    if (!isStreamOperation(operation))
      throw new NovaCostError('internal', `CachingStreamer streams; ${operation} is not a streaming operation`, {
        details: { operation },
      });
    const ttlSeconds = cacheTtlOf(call);
    if (ttlSeconds === undefined || !(ttlSeconds > 0)) {
      this.counters.bypass += 1;
      await options.admit?.();
      return this.next.stream(call, options);
    }
    if (options.signal?.aborted) throw new NovaCostError('aborted', 'the caller aborted the stream');
    const key = requestKey(call, call.region);
    const running = this.flights.get(key);
    if (running?.joinable) {
      this.counters.coalesced += 1;
      return running.join('follower', options.signal);
    }
    const flight = new StreamFlight(operation, call.estimatedInputTokens);
    this.flights.set(key, flight);
    const forget = () => {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    };
    flight.signal.addEventListener('abort', forget, { once: true });
    const started = this.fetch(key, ttlSeconds, { ...call, operation }, flight, options.admit);
    flight.start(started);
    started.then((s) => s.kind === 'recorded' && forget(), forget);
    return flight.join('leader', options.signal);
  }

  /** A copy of the counters (hotHits stays 0: streams are not kept hot). */
  stats(): CachingStats {
    return { ...this.counters };
  }

  private async fetch(
    key: string,
    ttlSeconds: number,
    call: PlannedInvocation & { operation: StreamOperation },
    flight: StreamFlight,
    admit: InvokeOptions['admit'],
  ): Promise<FlightStart> {
    const started = this.now();
    const cached = await this.read(key);
    if (cached) {
      this.counters.hits += 1;
      return { kind: 'recorded', cache: 'hit', modelId: cached.modelId, events: cached.events };
    }
    this.counters.misses += 1;
    // Another process streaming this request holds its lock: its recording is waited for and replayed (coalesced, not
    // a hit); once its lock goes without a recording (the stream failed, or its holder died) this process streams.
    const claim = await claimOrWait({
      store: this.store,
      guard: this.guard,
      key,
      options: this.options,
      now: this.now,
      started,
      signal: flight.signal,
      read: () => this.read(key),
    });
    if (claim.kind === 'found') {
      const cache = foundOutcome(claim, this.counters);
      return { kind: 'recorded', cache, modelId: claim.value.modelId, events: claim.value.events };
    }
    let upstream: ModelStream;
    try {
      await admit?.(); // the stream is billed: only now does it take the budget's hold
      upstream = await this.next.stream(call, { signal: flight.signal });
    } catch (error) {
      claim.release();
      throw error;
    }
    const tee = new StreamTee(upstream.events[Symbol.asyncIterator](), {
      sizeOf,
      maxBufferedBytes: this.options.maxEntryBytes ?? 1024 * 1024,
      onAbandoned: () => flight.abort(),
    });
    void Promise.all([upstream.report, tee.finished]).then(async ([report]) => {
      try {
        if (report.end === 'complete')
          await this.record(key, ttlSeconds, call.modelId, upstream.modelId, report.stopReason, tee.recording);
      } finally {
        claim.release();
        if (this.flights.get(key) === flight) this.flights.delete(key);
      }
    });
    return { kind: 'upstream', modelId: upstream.modelId, tee, report: upstream.report };
  }

  private async read(key: string): Promise<StreamEnvelope | undefined> {
    const raw = await this.guard.run(() => this.store.get(key));
    if (raw === undefined) return undefined;
    this.counters.bytesRead += Buffer.byteLength(raw);
    return decodeStreamEnvelope(raw); // corrupt or foreign: a miss, overwritten by the next complete stream
  }

  private async record(
    key: string,
    ttlSeconds: number,
    plannedModelId: string,
    modelId: string,
    stopReason: string | undefined,
    events: readonly ModelStreamEvent[] | undefined,
  ): Promise<void> {
    if (!events || !isReusableAnswer(stopReason) || !answeredByPlannedModel(plannedModelId, modelId)) {
      this.counters.notStored += 1;
      return;
    }
    const raw = encodeStreamEnvelope({
      v: STREAM_ENVELOPE_VERSION,
      kind: 'stream',
      // Upstream's frames stay out of the entry: a replay frames its events afresh, with new padding.
      events: events.map(({ type, payload }) => ({ type, payload })),
      modelId,
      createdAt: this.now(),
    });
    const bytes = Buffer.byteLength(raw);
    if (bytes > (this.options.maxEntryBytes ?? 1024 * 1024)) {
      this.counters.notStored += 1;
      return;
    }
    const ok = await this.guard.run(async () => {
      await this.store.set(key, raw, ttlSeconds);
      return true;
    });
    if (ok) this.counters.bytesWritten += bytes;
  }
}
