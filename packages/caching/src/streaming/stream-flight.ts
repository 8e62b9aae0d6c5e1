import type { ModelStream, ModelStreamEvent, StreamOperation } from '@nova-cost/domain';
import { NovaCostError, StreamMeter, meteredStream } from '@nova-cost/domain';
import type { StreamTee } from './stream-tee';

/** How a flight started: an upstream stream to follow, or a whole recorded one to replay. */
export type FlightStart =
  | {
      readonly kind: 'upstream';
      readonly modelId: string;
      readonly tee: StreamTee<ModelStreamEvent>;
      readonly report: ModelStream['report'];
    }
  | {
      readonly kind: 'recorded';
      readonly cache: 'hit' | 'coalesced';
      readonly modelId: string;
      readonly events: readonly ModelStreamEvent[];
    };

const aborted = () => new NovaCostError('aborted', 'the caller aborted the stream');

/** A recorded stream played again, its report read from its own events. */
async function* replay(
  events: readonly ModelStreamEvent[],
  signal: AbortSignal | undefined,
): AsyncGenerator<ModelStreamEvent> {
  for (const event of events) {
    if (signal?.aborted) throw aborted();
    yield event;
  }
}

/**
 * One streaming call shared by every concurrent caller of the same request: the first leads (billed for the upstream
 * stream), the others follow it from its first event. Until it starts, each caller may give up its own wait; the
 * start itself (a lock wait, the upstream call) is aborted only when every caller has given up.
 */
export class StreamFlight {
  private started!: Promise<FlightStart>;
  private waiters = 0;
  private readonly controller = new AbortController();
  private startedValue: FlightStart | undefined;

  constructor(
    private readonly operation: StreamOperation,
    private readonly estimatedInputTokens: number,
  ) {}

  /** Aborted when every caller gave up: ends the start, or the upstream stream once it runs. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Whether a new caller may still join and get the whole stream. */
  get joinable(): boolean {
    if (this.controller.signal.aborted) return false;
    const s = this.startedValue;
    return s === undefined || s.kind === 'recorded' || s.tee.joinable;
  }

  start(started: Promise<FlightStart>): void {
    this.started = started.then((s) => {
      this.startedValue = s;
      return s;
    });
    this.started.catch(() => undefined); // every caller gets the rejection through join()
  }

  abort(): void {
    this.controller.abort(aborted());
  }

  /** The stream for one caller: the leader is billed for the upstream one, a follower for nothing. */
  async join(role: 'leader' | 'follower', signal: AbortSignal | undefined): Promise<ModelStream> {
    const started = await this.wait(signal);
    if (started.kind === 'recorded') {
      const metered = meteredStream(
        replay(started.events, signal),
        new StreamMeter(this.operation, this.estimatedInputTokens),
      );
      return { cache: started.cache, modelId: started.modelId, ...metered };
    }
    const events = started.tee.subscribe(signal);
    if (role === 'leader') return { cache: 'miss', modelId: started.modelId, events, report: started.report };
    return {
      cache: 'coalesced',
      modelId: started.modelId,
      ...meteredStream(events, new StreamMeter(this.operation, this.estimatedInputTokens)),
    };
  }

  /** The start, or this caller's abort: the start is aborted when its last waiter leaves before it. */
  private wait(signal: AbortSignal | undefined): Promise<FlightStart> {
    if (signal?.aborted) return Promise.reject(aborted());
    this.waiters += 1;
    let waiting = true;
    const stopWaiting = (): void => {
      if (!waiting) return;
      waiting = false;
      this.waiters -= 1;
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      stopWaiting();
      this.leftBeforeStart();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    return new Promise<FlightStart>((resolve, reject) => {
      signal?.addEventListener('abort', () => reject(aborted()), { once: true });
      this.started.then(
        (s) => {
          stopWaiting();
          resolve(s);
        },
        (error: unknown) => {
          stopWaiting();
          reject(error);
        },
      );
    });
  }

  private leftBeforeStart(): void {
    if (this.waiters > 0) return;
    this.abort();
    // Started just now with nobody left to read it: close it, or the upstream call is held open.
    void this.started.then(
      (s) => {
        if (s.kind === 'upstream') void s.tee.subscribe()[Symbol.asyncIterator]().return?.();
      },
      () => undefined,
    );
  }
}
