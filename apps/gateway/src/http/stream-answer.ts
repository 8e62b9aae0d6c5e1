import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { ModelStream, StreamOperation } from '@nova-cost/domain';
import { NovaCostError } from '@nova-cost/domain';
import { eventFrame, exceptionFrame } from '@nova-cost/event-stream';
import { errorTypeOf } from './error-response';

/** `ThrottlingException` → `throttlingException`: an exception's event type. */
const eventName = (name: string): string => name.charAt(0).toLowerCase() + name.slice(1);

/** How a stream ended for its client. */
export type StreamEnding = 'complete' | 'failed' | 'client-gone' | 'stopped';

// The exception events of Bedrock's stream unions: what the SDKs raise mid-stream.
const CONVERSE_EXCEPTIONS = new Set([
  'internalServerException',
  'modelStreamErrorException',
  'validationException',
  'throttlingException',
  'serviceUnavailableException',
]);
// InvokeModelWithBidirectionalStream's output union has the same ones.
const INVOKE_EXCEPTIONS = new Set([...CONVERSE_EXCEPTIONS, 'modelTimeoutException']);

/**
 * The exception event a failure mid-stream is sent as: the one Bedrock sent (its name in `upstream`), else the one an
 * error of its kind is answered with (errorResponse's type) where the operation's union has it, else an internal error.
 */
export function exceptionEventOf(
  error: unknown,
  operation: StreamOperation | 'invoke-with-bidirectional-stream',
): { type: string; payload: Record<string, unknown> } {
  const err = NovaCostError.is(error)
    ? error
    : new NovaCostError('internal', 'the stream failed in the gateway', { cause: error });
  const allowed = operation === 'converse-stream' ? CONVERSE_EXCEPTIONS : INVOKE_EXCEPTIONS;
  const named = err.upstream?.name;
  const bedrock = named === undefined ? undefined : eventName(named);
  // The unions have no access-denied event: an event whose signature does not match is the client's bad input.
  const ours = err.kind === 'access-denied' ? 'validationException' : eventName(errorTypeOf(err.kind));
  const type =
    bedrock !== undefined && allowed.has(bedrock) ? bedrock : allowed.has(ours) ? ours : 'internalServerException';
  const members = type === bedrock ? err.upstream?.members : undefined;
  return { type, payload: { message: err.message, ...members } };
}

/**
 * Writes a started stream to the client as Bedrock does: one `application/vnd.amazon.eventstream` frame per event, as
 * each arrives (nothing is held back before the first byte), waiting for the socket to drain when the client reads
 * slowly, so a slow reader slows its stream instead of growing a backlog here. A failure mid-stream ends it with an
 * exception event of Bedrock's names; `stop` (the drain deadline, whose owner sends the exception event) ends it; a
 * client that leaves ends it quietly (`gone`, aborted when its connection closes, also ends the call upstream).
 * `trailers` are asked for once the stream ended, before the response ends.
 */
export async function writeStream(
  res: ServerResponse,
  stream: ModelStream,
  operation: StreamOperation,
  signals: { readonly gone: AbortSignal; readonly stop: AbortSignal },
  trailers: () => Promise<Record<string, string>>,
): Promise<StreamEnding> {
  const frame = async (bytes: Uint8Array): Promise<void> => {
    if (!res.write(bytes)) await once(res, 'drain', { signal: signals.gone });
  };
  try {
    let first = true;
    for await (const event of stream.events) {
      if (signals.stop.aborted) throw signals.stop.reason;
      await frame(event.frame ?? eventFrame(event.type, event.payload));
      if (first) {
        // Node sends what was written in one tick together: events already arrived would hold the first one back
        // until they are all framed. One turn of the event loop lets the first byte leave now.
        first = false;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  } catch (error) {
    // Stopped: whoever stopped it has sent the exception event already.
    if (signals.stop.aborted && !signals.gone.aborted) return 'stopped';
    if (signals.gone.aborted || res.destroyed) return 'client-gone';
    const { type, payload } = exceptionEventOf(error, operation);
    res.end(exceptionFrame(type, payload));
    return 'failed';
  }
  res.addTrailers(await trailers());
  res.end();
  return 'complete';
}
