import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { chunkBytes, chunkFrame, exceptionFrame, openEnvelope, readMessages } from '@nova-cost/event-stream';
import { dropConnection, isGone } from '../http-exchange';
import type { ResolvedStreamFault } from '../local-bedrock.options';
import type { StreamEnd } from '../stream-writer';
import type { SonicOutput } from './sonic-session';
import { SonicSession } from './sonic-session';

/** How a bidirectional session is served. */
export interface BidirectionalPlan {
  readonly modelId: string;
  /** The fault this session gets after some of its output events, if any. */
  readonly fault?: ResolvedStreamFault;
  /** Before the first event of each answer. */
  readonly firstEventMs: number;
  /** Resolves when held calls may go on (see LocalBedrock.hold); undefined when nothing is held. */
  readonly held: () => Promise<void> | undefined;
}

function parseEvent(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new Error('an input event must be JSON: {"event": {"<eventType>": {...}}}');
  }
}

/** An input the session cannot take: the stream gets a validationException event and ends, as Bedrock's does. */
function refusal(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * InvokeModelWithBidirectionalStream: a 200 with `application/vnd.amazon.eventstream` at once, then, for each
 * event the client sends (signed envelopes around `chunk` frames), the events the local Nova Sonic answers it with.
 * Output waits for the socket when the client reads slowly, and input is read no faster than answers leave, so a
 * session holds one event at a time. The stream ends after sessionEnd, or when the client ends its input.
 */
export async function serveBidirectionalStream(
  req: IncomingMessage,
  res: ServerResponse,
  plan: BidirectionalPlan,
): Promise<StreamEnd> {
  const gone = new AbortController();
  const left = new Promise<void>((resolve) => res.once('close', resolve)).then(() => gone.abort());
  res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': randomUUID() });
  res.flushHeaders();
  const session = new SonicSession(plan.modelId);
  let sent = 0;
  let turnStarted = false;

  /** Sends one event, or says how the session ended instead (the client left, or the injected fault broke it). */
  const send = async (event: SonicOutput): Promise<'sent' | StreamEnd> => {
    const fault = plan.fault;
    if (fault && sent === fault.afterEvents) return breakStream(req, res, fault, left);
    if (!turnStarted) {
      turnStarted = true;
      if (plan.firstEventMs >= 1) await sleep(plan.firstEventMs, undefined, { signal: gone.signal });
    }
    const held = plan.held();
    if (held) await Promise.race([held, left]);
    if (isGone(res)) return 'abandoned';
    sent += 1;
    if (!res.write(chunkFrame(Buffer.from(JSON.stringify({ event: { [event.type]: event.payload } })))))
      await once(res, 'drain', { signal: gone.signal });
    return 'sent';
  };

  try {
    for await (const outer of readMessages(req)) {
      const envelope = openEnvelope(outer);
      if (!envelope.event) break;
      turnStarted = false;
      for (const event of session.accept(parseEvent(chunkBytes(envelope.event)))) {
        const outcome = await send(event);
        if (outcome !== 'sent') return outcome;
      }
      if (session.isEnded) break;
    }
  } catch (error) {
    if (isGone(res) || gone.signal.aborted) return 'abandoned';
    res.end(exceptionFrame('validationException', { message: refusal(error) }));
    return 'faulted';
  }
  if (isGone(res)) return 'abandoned';
  // Whatever the client still sends after its session ended is read and dropped.
  req.resume();
  res.end();
  return 'completed';
}

async function breakStream(
  req: IncomingMessage,
  res: ServerResponse,
  fault: ResolvedStreamFault,
  left: Promise<void>,
): Promise<StreamEnd> {
  if (fault.kind === 'cut') {
    dropConnection(req);
    return 'faulted';
  }
  if (fault.kind === 'exception') {
    const members =
      fault.exception === 'modelStreamErrorException'
        ? { originalStatusCode: 500, originalMessage: fault.message }
        : {};
    res.end(exceptionFrame(fault.exception, { message: fault.message, ...members }));
    return 'faulted';
  }
  await left; // a stall: nothing more until the client gives up
  return 'faulted';
}
