import type { NovaCostError } from '../errors/nova-cost.error';
import type { BidirectionalModelStreams } from './bidirectional-stream.port';
import { RelayedSession } from './relayed-session';
import type { SessionTimers } from './session-timers';
import { systemSessionTimers } from './session-timers';
import type { SpeechSessions } from './speech-sessions.service';

export interface SpeechSessionRelayDeps {
  /** Admission and accounting. */
  readonly sessions: SpeechSessions;
  /** The model's side: Bedrock's InvokeModelWithBidirectionalStream. */
  readonly streams: BidirectionalModelStreams;
  /** @default performance.now and setTimeout */
  readonly timers?: SessionTimers;
}

/**
 * The use case behind InvokeModelWithBidirectionalStream (Nova Sonic) at the edge: a session is admitted
 * (SpeechSessions: concurrency cap, budget held for its worst case), then relayed between the client and the model
 * (RelayedSession) and settled in the ledger however it ends.
 */
export class SpeechSessionRelay {
  private readonly live = new Set<RelayedSession>();
  private readonly timers: SessionTimers;

  constructor(private readonly deps: SpeechSessionRelayDeps) {
    this.timers = deps.timers ?? systemSessionTimers;
  }

  /** Sessions admitted and not yet settled. */
  get liveSessions(): number {
    return this.live.size;
  }

  /**
   * Admits a session and opens the model's stream with the client's `input` (JSON events as bytes); resolves once the
   * model sent its first event: then `run()` relays it. Rejects with a NovaCostError when the session is refused
   * (see SpeechSessions.open) or does not start (the model refused it, the client left: `signal`, a limit passed).
   */
  async open(
    tenantId: string,
    modelId: string,
    input: AsyncIterable<Uint8Array>,
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<RelayedSession> {
    const session = await this.deps.sessions.open(tenantId, modelId);
    const relayed = new RelayedSession(session, modelId, this.timers);
    this.live.add(relayed);
    const forget = (): void => void this.live.delete(relayed);
    void relayed.settled.then(forget, forget);
    await relayed.start(this.deps.streams, input, options.signal);
    return relayed;
  }

  /** Ends every live session with `error` ('shutting-down'); resolves once each is settled in the ledger. */
  async endAll(error: NovaCostError): Promise<void> {
    const sessions = [...this.live];
    for (const session of sessions) session.end('shutting-down', error);
    await Promise.all(sessions.map((s) => s.settled.catch(() => undefined)));
  }
}
