import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventFrame, exceptionFrame } from '@nova-cost/event-stream';
import { dropConnection, isGone } from './http-exchange';
import type { ResolvedStreamFault } from './local-bedrock.options';
import type { StreamedEvent } from './stream-events';

/** How a streamed answer is paced and whether it breaks. */
export interface StreamPlan {
  readonly events: readonly StreamedEvent[];
  /** Time to first token: the first event leaves this long after the call was admitted. */
  readonly firstTokenMs: number;
  /** Time per output token after the first (1000 / tokens per second). */
  readonly perOutputTokenMs: number;
  readonly fault?: ResolvedStreamFault;
  /** Response headers besides the content type and request id. */
  readonly headers?: Record<string, string>;
  /** Resolves when held streams may go on (see LocalBedrock.hold); undefined when nothing is held. */
  readonly held: () => Promise<void> | undefined;
}

/** completed: every event sent; abandoned: the client left first; faulted: the injected fault broke it. */
export type StreamEnd = 'completed' | 'abandoned' | 'faulted';

/**
 * Writes a streamed answer as Bedrock does: a 200 with `application/vnd.amazon.eventstream`, then one frame per
 * event at the model's pace, waiting for the socket to drain when the client reads slowly.
 */
export async function writeStream(req: IncomingMessage, res: ServerResponse, plan: StreamPlan): Promise<StreamEnd> {
  const started = performance.now();
  const gone = new AbortController();
  const left = new Promise<void>((resolve) => res.once('close', resolve)).then(() => gone.abort());
  const { events, fault } = plan;
  for (const [i, event] of events.entries()) {
    if (fault && i === fault.afterEvents) return breakStream(req, res, plan, fault, left);
    const wait = plan.firstTokenMs + plan.perOutputTokenMs * event.tokensBefore - (performance.now() - started);
    try {
      if (wait >= 1) await sleep(wait, undefined, { signal: gone.signal });
      const held = plan.held();
      if (held) await Promise.race([held, left]);
      if (isGone(res)) return 'abandoned';
      respond(res, plan);
      if (!res.write(eventFrame(event.type, event.payload))) await once(res, 'drain', { signal: gone.signal });
      // Each event leaves as it is made, as Bedrock's do, not corked with the next ones of the same tick.
      else await new Promise<void>((resolve) => setImmediate(resolve));
    } catch {
      return 'abandoned';
    }
  }
  if (fault && fault.afterEvents >= events.length) return breakStream(req, res, plan, fault, left);
  res.end();
  return 'completed';
}

function respond(res: ServerResponse, plan: StreamPlan): void {
  if (!res.headersSent)
    res.writeHead(200, {
      'content-type': 'application/vnd.amazon.eventstream',
      'x-amzn-requestid': randomUUID(),
      ...plan.headers,
    });
}

async function breakStream(
  req: IncomingMessage,
  res: ServerResponse,
  plan: StreamPlan,
  fault: ResolvedStreamFault,
  left: Promise<void>,
): Promise<StreamEnd> {
  if (fault.kind === 'cut') {
    dropConnection(req);
    return 'faulted';
  }
  respond(res, plan);
  if (fault.kind === 'exception') {
    const members =
      fault.exception === 'modelStreamErrorException'
        ? { originalStatusCode: 500, originalMessage: fault.message }
        : {};
    res.end(exceptionFrame(fault.exception, { message: fault.message, ...members }));
    return 'faulted';
  }
  // A stall: the headers and the events so far are out, nothing more comes until the client gives up.
  res.flushHeaders();
  await left;
  return 'faulted';
}
