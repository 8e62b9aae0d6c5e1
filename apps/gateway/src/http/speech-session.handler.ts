import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerResponse, ServerHttp2Stream } from 'node:http2';
import { constants as h2 } from 'node:http2';
import type { RelayOutcome, SpeechSessionRelay } from '@nova-cost/domain';
import { NovaCostError } from '@nova-cost/domain';
import { chunkBytes, chunkFrame, exceptionFrame, openEnvelope, readMessages } from '@nova-cost/event-stream';
import { exemptFromRequestTimeout, stopReadingAfterAnswer } from '@nova-cost/http-listener';
import type { GatewayMetrics } from '../observability/gateway-metrics';
import type { GatewayLogger } from '../observability/logger';
import type { EventSignatureChain } from './event-signature-chain';
import { SESSION_ROUTE } from './parse-model-request';
import { exceptionEventOf } from './stream-answer';
import type { TenantAuthenticator } from './tenant-authenticator';

/** What the sessions hold now, for the metrics. */
export interface SessionGauges {
  /** Sessions being served. */
  readonly open: number;
  /** Bytes held for them: received from clients and not yet relayed, or relayed and not yet taken by the client. */
  readonly bufferedBytes: number;
  /** Sessions whose client is slower than the model: waiting for it to take what was sent. */
  readonly waitingForClient: number;
}

export interface SpeechSessionHandlerDeps {
  readonly relay: SpeechSessionRelay;
  readonly auth: TenantAuthenticator;
  readonly metrics: GatewayMetrics;
  /** Largest input event frame taken (a Nova Sonic audio chunk is a few KiB). @default 1048576 */
  readonly maxEventBytes?: number;
  /** How long an ended session's last events may wait for a client that does not read them. @default 10000 */
  readonly finishGraceMs?: number;
}

interface LiveSession {
  readonly stream: ServerHttp2Stream;
  waiting: boolean;
}

/**
 * InvokeModelWithBidirectionalStream at the edge (Nova Sonic, HTTP/2 only): the tenant is authenticated from the
 * headers (an API key, or a SigV4 signature whose events are each checked), the session admitted and opened through
 * SpeechSessionRelay, and answered once the model's first event arrived. Refusals before it are ordinary error
 * answers (thrown to the caller); after it every ending that has a reason is told to the client as an exception event
 * of Bedrock's names (ThrottlingException for the budget, ModelTimeoutException for the idle and length limits,
 * ServiceUnavailableException at shutdown), then the stream closes both ways.
 */
export class SpeechSessionHandler {
  private readonly live = new Set<LiveSession>();
  private readonly maxEventBytes: number;
  private readonly finishGraceMs: number;

  constructor(private readonly deps: SpeechSessionHandlerDeps) {
    this.maxEventBytes = deps.maxEventBytes ?? 1024 * 1024;
    this.finishGraceMs = deps.finishGraceMs ?? 10_000;
  }

  gauges(): SessionGauges {
    let bufferedBytes = 0;
    let waitingForClient = 0;
    for (const s of this.live) {
      bufferedBytes += s.stream.writableLength + s.stream.readableLength;
      if (s.waiting) waitingForClient += 1;
    }
    return { open: this.live.size, bufferedBytes, waitingForClient };
  }

  /** Serves a session; rejects with what refused it before its first event (for the caller to answer). */
  async serve(req: IncomingMessage, res: ServerResponse, modelId: string, log: GatewayLogger): Promise<void> {
    if (req.httpVersionMajor !== 2)
      throw new NovaCostError(
        'validation',
        'InvokeModelWithBidirectionalStream is served over HTTP/2 only, as Bedrock serves it (the AWS SDK uses HTTP/2 for it)',
        { details: { reason: 'http-version' } },
      );
    // The request's body is the session's input: it lasts as long as the session, which the relay bounds.
    exemptFromRequestTimeout(req);
    const started = performance.now();
    const { tenantId, events } = await this.deps.auth.authenticateEventStream({
      method: req.method ?? 'POST',
      url: req.url ?? '/',
      headers: req.headers,
    });
    const live: LiveSession = { stream: (res as unknown as Http2ServerResponse).stream, waiting: false };
    const gone = new AbortController();
    res.once('close', () => {
      this.live.delete(live);
      if (!res.writableFinished) gone.abort();
    });
    this.live.add(live);
    const input = clientEvents(req, events, this.maxEventBytes, gone.signal);
    let relayed;
    try {
      relayed = await this.deps.relay.open(tenantId, modelId, input, { signal: gone.signal });
    } catch (error) {
      if (gone.signal.aborted) return; // no one to answer
      // Answered by the caller; the client's input is not read any more.
      this.closeOnceAnswered(req, res);
      throw error;
    }
    if (!gone.signal.aborted) {
      res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
      this.deps.metrics.request(SESSION_ROUTE, 200, 'none');
    }
    const outcome = await relayed.run({ send: (event) => this.send(res, live, chunkFrame(event), gone.signal) });
    this.finish(req, res, outcome);
    this.record(log, tenantId, outcome, started);
  }

  /** Writes one frame; when the client is slower than the model, waits until it has taken what was written. */
  private async send(res: ServerResponse, live: LiveSession, frame: Uint8Array, gone: AbortSignal): Promise<void> {
    if (res.write(frame)) return;
    live.waiting = true;
    try {
      await once(res, 'drain', { signal: gone });
    } finally {
      live.waiting = false;
    }
  }

  /** Tells the client how the session ended and closes its stream both ways. */
  private finish(req: IncomingMessage, res: ServerResponse, outcome: RelayOutcome): void {
    const stream = (res as unknown as Http2ServerResponse).stream;
    if (outcome.reason === 'client-left' || res.writableEnded || stream.destroyed) {
      if (!stream.destroyed) stream.close(h2.NGHTTP2_CANCEL);
      return;
    }
    if (outcome.error) {
      const { type, payload } = exceptionEventOf(outcome.error, SESSION_ROUTE);
      res.end(exceptionFrame(type, payload));
    } else res.end();
    this.closeOnceAnswered(req, res);
  }

  /**
   * The client's input is not read any more: its stream is reset (NO_ERROR) once the answer has left, whether or not
   * its input ended. A client that never reads the end does not keep the stream for ever.
   */
  private closeOnceAnswered(req: IncomingMessage, res: ServerResponse): void {
    stopReadingAfterAnswer(req, res);
    const stream = (res as unknown as Http2ServerResponse).stream;
    const cut = setTimeout(() => stream.destroyed || stream.close(h2.NGHTTP2_CANCEL), this.finishGraceMs);
    stream.once('close', () => clearTimeout(cut));
  }

  private record(log: GatewayLogger, tenantId: string, outcome: RelayOutcome, started: number): void {
    const { summary } = outcome;
    this.deps.metrics.sessionEnded(summary.modelId, outcome.reason, summary.costUsd, summary.unpriced);
    log.info(
      {
        tenantId,
        model: summary.modelId,
        operation: SESSION_ROUTE,
        end: outcome.reason,
        ...(outcome.error ? { reason: outcome.error.message } : {}),
        eventsIn: outcome.eventsIn,
        eventsOut: outcome.eventsOut,
        usage: summary.usage,
        costUsd: summary.unpriced ? 'unpriced' : summary.costUsd,
        ms: Math.round(performance.now() - started),
      },
      'speech session',
    );
  }
}

/**
 * The client's events, as the AWS SDK sends them: signed envelopes around `chunk` frames, each signature checked
 * when the request was signed with SigV4; the empty envelope ends them. Frames are read one at a time, as the model's
 * stream asks for events, so a client that sends faster than the model takes is held back by HTTP/2 flow control.
 */
async function* clientEvents(
  req: IncomingMessage,
  signatures: EventSignatureChain | undefined,
  maxEventBytes: number,
  gone: AbortSignal,
): AsyncGenerator<Uint8Array> {
  try {
    for await (const outer of readMessages(req, { maxMessageBytes: maxEventBytes })) {
      const envelope = openEnvelope(outer);
      await signatures?.verify(envelope, outer.body);
      if (!envelope.event) return;
      yield chunkBytes(envelope.event);
    }
  } catch (error) {
    if (gone.aborted || isStreamFailure(error))
      throw new NovaCostError('aborted', 'the client left the session', { cause: error });
    if (NovaCostError.is(error)) throw error;
    throw new NovaCostError(
      'validation',
      `the session's input is not an event stream as the AWS SDK sends it: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error, details: { reason: 'event-stream' } },
    );
  }
}

/** An error of the request stream itself (reset, cut), as opposed to bytes that are no event stream: a `code`. */
function isStreamFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return typeof (error as NodeJS.ErrnoException).code === 'string' || isStreamFailure(error.cause);
}
