import type { Message } from './event-frames';
import { codec, eventFrame, stringHeader } from './event-frames';
import { EventStreamFormatError } from './read-messages';

// InvokeModelWithBidirectionalStream's frames. What a client sends is signed event by event: each frame is an
// envelope (headers `:date` and `:chunk-signature`, the SigV4 signature chained from the request's own) whose
// payload is the event frame itself (`:event-type: chunk`, payload `{"bytes": "<base64 JSON event>"}`); an envelope
// with an empty payload ends the input. What Bedrock sends back is plain `chunk` event frames.

/** One envelope of the input, opened: the event it carries (none in the closing envelope) and its signature. */
export interface SignedEnvelope {
  /** The event frame carried; undefined for the empty envelope that ends the input. */
  readonly event: Message | undefined;
  /** The `:date` the envelope was signed at, when it says. */
  readonly date: Date | undefined;
  /** The `:chunk-signature`, when it carries one. */
  readonly signature: Uint8Array | undefined;
}

/** Opens an input envelope; a frame that is not one is refused. */
export function openEnvelope(outer: Message): SignedEnvelope {
  const date = outer.headers[':date'];
  const signature = outer.headers[':chunk-signature'];
  if (date?.type !== 'timestamp' && signature?.type !== 'binary') {
    throw new EventStreamFormatError(
      'an input frame must be a signed envelope (:date and :chunk-signature headers) around an event frame',
    );
  }
  return {
    event: outer.body.byteLength === 0 ? undefined : codec.decode(outer.body),
    date: date?.type === 'timestamp' ? date.value : undefined,
    signature: signature?.type === 'binary' ? signature.value : undefined,
  };
}

/** The JSON event a `chunk` frame carries, as bytes. */
export function chunkBytes(event: Message): Uint8Array {
  const type = stringHeader(event.headers, ':event-type');
  if (type !== 'chunk')
    throw new EventStreamFormatError(`an input event must be of type chunk, got ${JSON.stringify(type ?? null)}`);
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(event.body.buffer, event.body.byteOffset, event.body.byteLength).toString('utf8'));
  } catch {
    throw new EventStreamFormatError('a chunk event must carry JSON {"bytes": "<base64>"}');
  }
  const bytes =
    typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>)['bytes'] : undefined;
  if (typeof bytes !== 'string')
    throw new EventStreamFormatError('a chunk event must carry JSON {"bytes": "<base64>"}');
  return new Uint8Array(Buffer.from(bytes, 'base64'));
}

/** An output `chunk` frame carrying `bytes` (a JSON event), padded as Bedrock pads. */
export function chunkFrame(bytes: Uint8Array): Uint8Array {
  return eventFrame('chunk', {
    bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
  });
}
