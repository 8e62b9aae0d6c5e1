import { Readable } from 'node:stream';
import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { ConverseStream$, InvokeModelWithResponseStream$ } from '@aws-sdk/client-bedrock-runtime';
import type { JsonObject, ModelStreamEvent, StreamOperation } from '@nova-cost/domain';
import { EventStreamCodec, getChunkedStream } from '@smithy/core/event-streams';
import { operation } from '@smithy/core/schema';
import { fromUtf8, toUtf8 } from '@smithy/core/serde';
import { HttpResponse } from '@smithy/core/transport';

// The SDK's own event-stream codec and frame splitter: frames are read here with them, not by a hand-written framer.
const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** A started stream: its first event, already read, and the frames after it. */
export interface RawEventStream {
  readonly first: ModelStreamEvent;
  readonly rest: AsyncIterator<Uint8Array>;
}

/**
 * Reads an event-stream body's first frame: an event starts the stream; anything else (an exception) is `not-event`,
 * for the SDK to raise. Undefined for a body with no frame at all.
 */
export async function firstFrames(
  body: AsyncIterable<Uint8Array>,
): Promise<
  | { readonly kind: 'event'; readonly stream: RawEventStream }
  | { readonly kind: 'not-event'; readonly first: Uint8Array }
  | undefined
> {
  const frames = getChunkedStream(body)[Symbol.asyncIterator]();
  const first = await frames.next();
  if (first.done) return undefined;
  const event = eventOfFrame(first.value);
  if (event) return { kind: 'event', stream: { first: event, rest: frames } };
  await frames.return?.();
  return { kind: 'not-event', first: first.value };
}

/**
 * One frame as the caller's event: its type, its payload without Bedrock's `p` padding (a replay pads afresh), and the
 * frame itself, sent on unchanged; undefined for a frame that is not an event (an exception: see sdkError).
 */
export function eventOfFrame(frame: Uint8Array): ModelStreamEvent | undefined {
  const { headers, body } = codec.decode(frame);
  const type = headers[':event-type'];
  if (headers[':message-type']?.value !== 'event' || type?.type !== 'string') return undefined;
  const { p: _padding, ...payload } = JSON.parse(toUtf8(body)) as JsonObject;
  return { type: type.value, payload, frame };
}

type DeserializeResponse = (
  op: ReturnType<typeof operation>,
  context: never,
  response: HttpResponse,
) => Promise<unknown>;

/**
 * The error the SDK raises for a frame of `op`'s stream that is not an event (an exception, an error), by the SDK's own
 * deserialiser: the modelled exception class with Bedrock's name and members, as `send` would have raised it.
 */
export async function sdkError(client: BedrockRuntimeClient, op: StreamOperation, frame: Uint8Array): Promise<unknown> {
  const [, ns, name, traits, input, output] =
    op === 'converse-stream' ? ConverseStream$ : InvokeModelWithResponseStream$;
  try {
    // The client's resolved protocol (restJson1): its declared union of protocol types has no common call signature.
    await (client.config.protocol as unknown as { deserializeResponse: DeserializeResponse }).deserializeResponse(
      operation(ns, name, traits, input, output),
      client.config as never,
      new HttpResponse({ statusCode: 200, headers: {}, body: Readable.from([frame]) }),
    );
  } catch (error) {
    return error;
  }
  return new Error('Bedrock sent an event-stream frame that is neither an event nor an exception the SDK raises');
}
