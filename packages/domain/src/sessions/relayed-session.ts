import { NovaCostError } from '../errors/nova-cost.error';
import type { NovaCostErrorKind } from '../errors/nova-cost.error';
import type { BidirectionalModelStreams } from './bidirectional-stream.port';
import type { SessionTimers } from './session-timers';
import type { SessionEndReason, SessionSummary, SpeechSession } from './speech-session';

/** Where a session's output goes: its client. */
export interface SessionOutput {
  /** Sends one of the model's events (a JSON document as bytes); resolves once the client can take the next one. */
  send(event: Uint8Array): Promise<void>;
}

/** How a relayed session ended, and what it used: recorded in the ledger by the time this is known. */
export interface RelayOutcome {
  readonly reason: SessionEndReason;
  /** Why it ended, for every ending but 'completed': what the client is told. */
  readonly error?: NovaCostError;
  readonly summary: SessionSummary;
  /** Events relayed from the client to the model, and from the model to the client. */
  readonly eventsIn: number;
  readonly eventsOut: number;
}

const ENDED = Symbol('ended');
type Ended = typeof ENDED;

const decoder = new TextDecoder();

/** The payload of a `usageEvent` (`{"event": {"usageEvent": {...}}}`), or undefined for any other event. */
export function usageEventOf(event: Uint8Array): unknown {
  const text = decoder.decode(event);
  // Inside a JSON string the quotes would be escaped: only a usageEvent's key matches, so audio is never parsed.
  if (!text.includes('"usageEvent"')) return undefined;
  try {
    return (JSON.parse(text) as { event?: { usageEvent?: unknown } } | null)?.event?.usageEvent;
  } catch {
    return undefined;
  }
}

function asError(error: unknown, kind: NovaCostErrorKind, message: string): NovaCostError {
  return NovaCostError.is(error) ? error : new NovaCostError(kind, `${message}: ${String(error)}`, { cause: error });
}

/**
 * One admitted speech session, relayed: the client's events go to the model as the model's stream asks for them, the
 * model's events go to the client as the client takes them (one event in hand each way, whatever the pace of either
 * side), and the model's usageEvents are metered as they pass. The first of these ends it: the model ends its
 * output ('completed'), the client leaves or sends what cannot be relayed, the model fails, nothing passes either way
 * for `idleSeconds`, `maxSeconds` pass, the budget has no room for what it bills, or `end()` from outside (shutdown).
 * Ending stops both directions (the model's call is cut unless it completed) and settles the session once.
 */
export class RelayedSession {
  private ending: { readonly reason: SessionEndReason; readonly error?: NovaCostError } | undefined;
  /** Aborted to cut the model's call. */
  private readonly upstream = new AbortController();
  private readonly ended: Promise<Ended>;
  private markEnded!: () => void;
  private lastEventAt: number;
  private cancelIdle: () => void = () => undefined;
  private cancelMax: () => void = () => undefined;
  private events: AsyncIterator<Uint8Array> | undefined;
  private settling: Promise<SessionSummary> | undefined;
  private eventsIn = 0;
  private eventsOut = 0;

  constructor(
    readonly session: SpeechSession,
    /** The model id as the client named it (a profile id, say), which the model's stream is opened with. */
    private readonly modelId: string,
    private readonly timers: SessionTimers,
  ) {
    this.ended = new Promise((resolve) => (this.markEnded = () => resolve(ENDED)));
    this.lastEventAt = timers.now();
  }

  /** Why the session ended, once it has. */
  get endReason(): SessionEndReason | undefined {
    return this.ending?.reason;
  }

  /** Ends the session (the first ending wins); `run()` resolves soon after with this reason. */
  end(reason: SessionEndReason, error?: NovaCostError): void {
    if (this.ending) return;
    this.ending = error ? { reason, error } : { reason };
    this.cancelIdle();
    this.cancelMax();
    if (reason !== 'completed') this.upstream.abort(error);
    this.markEnded();
  }

  /**
   * Opens the model's stream with the client's events; resolves once the model sent its first event. Rejects with
   * why it did not start (the model refused, the client left, a limit passed), the session settled.
   */
  async start(
    streams: BidirectionalModelStreams,
    input: AsyncIterable<Uint8Array>,
    signal?: AbortSignal,
  ): Promise<void> {
    this.armTimers();
    const left = (): void => this.end('client-left', new NovaCostError('aborted', 'the client left the session'));
    if (signal?.aborted) left();
    else if (signal) {
      signal.addEventListener('abort', left, { once: true });
      void this.ended.then(() => signal.removeEventListener('abort', left));
    }
    let opened: AsyncIterable<Uint8Array> | Ended;
    try {
      opened = await this.race(
        streams.open({ modelId: this.modelId, input: this.relayInput(input), signal: this.upstream.signal }),
      );
    } catch (error) {
      this.end('refused', asError(error, 'upstream-unavailable', 'the model did not start the session'));
      opened = ENDED;
    }
    if (opened !== ENDED && !this.ending) {
      this.events = opened[Symbol.asyncIterator]();
      return;
    }
    await this.close();
    throw this.ending!.error;
  }

  /** Relays the model's events to `output` until the session ends; resolves with how it ended and what it used. */
  async run(output: SessionOutput): Promise<RelayOutcome> {
    const events = this.events;
    if (!events && !this.ending) throw new NovaCostError('internal', 'RelayedSession.run() before start() resolved');
    while (events && !this.ending) {
      let next: IteratorResult<Uint8Array> | Ended;
      try {
        next = await this.race(events.next());
      } catch (error) {
        this.end('upstream-error', asError(error, 'upstream-unavailable', 'the model broke the session'));
        break;
      }
      if (next === ENDED) break;
      if (next.done) {
        this.end('completed');
        break;
      }
      this.eventsOut += 1;
      this.lastEventAt = this.timers.now();
      // Metered as it arrives, whether or not the client takes it: Bedrock bills what it reported. A hold that fails
      // to answer fails open.
      const usage = usageEventOf(next.value);
      const exceeded = usage === undefined ? undefined : await this.session.meter(usage).catch(() => undefined);
      if (exceeded) {
        // Its client is told what it used (this usageEvent goes out first, whatever its pace), then why it ended.
        output.send(next.value).catch(() => undefined);
        this.end('budget', exceeded);
        break;
      }
      try {
        if ((await this.race(output.send(next.value))) === ENDED) break;
      } catch (error) {
        this.end('client-left', asError(error, 'aborted', 'the client left the session'));
        break;
      }
    }
    const summary = await this.close();
    const { reason, error } = this.ending!;
    return { reason, ...(error ? { error } : {}), summary, eventsIn: this.eventsIn, eventsOut: this.eventsOut };
  }

  /** Settles once the session ended: resolves with what it used, as recorded. */
  get settled(): Promise<SessionSummary> {
    return this.ended.then(() => this.close());
  }

  private close(): Promise<SessionSummary> {
    return (this.settling ??= this.session.close(this.ending!.reason));
  }

  /** The client's events, until it ends them or the session ends; a client that fails them ends the session. */
  private async *relayInput(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    const events = source[Symbol.asyncIterator]();
    try {
      for (;;) {
        let next: IteratorResult<Uint8Array> | Ended;
        try {
          next = await this.race(events.next());
        } catch (error) {
          const reason = NovaCostError.is(error, 'aborted') ? 'client-left' : 'client-error';
          this.end(reason, asError(error, 'validation', 'the session input could not be read'));
          return;
        }
        if (next === ENDED || next.done) return;
        this.eventsIn += 1;
        this.lastEventAt = this.timers.now();
        yield next.value;
      }
    } finally {
      // Left while the client's next event is awaited: it is released once that read settles.
      events.return?.()?.catch(() => undefined);
    }
  }

  private armTimers(): void {
    const { maxMs, idleMs } = this.session;
    this.cancelMax = this.timers.schedule(maxMs, () =>
      this.end(
        'max-duration',
        new NovaCostError(
          'timeout',
          `the session reached the longest its policy allows, ${maxMs / 1000} s (sessions.maxSeconds): open a new one to go on`,
          { details: { reason: 'max-duration', maxSeconds: maxMs / 1000 } },
        ),
      ),
    );
    // One timer, pushed back when it fires early: an event costs a clock read, not a timer.
    const check = (): void => {
      const quiet = this.timers.now() - this.lastEventAt;
      if (quiet < idleMs) {
        this.cancelIdle = this.timers.schedule(idleMs - quiet, check);
        return;
      }
      this.end(
        'idle',
        new NovaCostError(
          'timeout',
          `no event passed either way in the session for ${idleMs / 1000} s (sessions.idleSeconds)`,
          { details: { reason: 'idle', idleSeconds: idleMs / 1000 } },
        ),
      );
    };
    this.cancelIdle = this.timers.schedule(idleMs, check);
  }

  /** `work`, or ENDED if the session ends first (a later failure of `work` is then ignored). */
  private race<T>(work: Promise<T>): Promise<T | Ended> {
    work.catch(() => undefined);
    return Promise.race([work, this.ended]);
  }
}
