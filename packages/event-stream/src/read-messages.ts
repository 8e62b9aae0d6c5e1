import { getChunkedStream, MessageDecoderStream } from '@smithy/core/event-streams';
import type { Message } from './event-frames';
import { codec } from './event-frames';

/** The largest frame the event-stream format allows (its specification's limit), and the default cap here. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Prelude (total length, headers length, prelude CRC) and message CRC: the smallest frame there is. */
const MIN_MESSAGE_BYTES = 16;

/** Raised for bytes that are not a well-formed event stream: a frame too long, too short, cut off or failing its CRC. */
export class EventStreamFormatError extends Error {
  override readonly name = 'EventStreamFormatError';
}

export interface ReadMessagesOptions {
  /** Frames declaring a larger total length are refused before anything is allocated for them. @default 16 MiB */
  readonly maxMessageBytes?: number;
}

/**
 * The frames of an event-stream body, decoded one at a time as the consumer asks for them (so a slow consumer slows
 * the reading: nothing is read ahead but the chunk at hand). Splitting and decoding are the AWS SDK's own
 * (getChunkedStream, MessageDecoderStream); `maxMessageBytes` is checked first, since the SDK's splitter allocates
 * whatever length a frame's prelude declares.
 */
export function readMessages(
  source: AsyncIterable<Uint8Array>,
  options: ReadMessagesOptions = {},
): AsyncIterable<Message> {
  const max = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  const decoded = new MessageDecoderStream({
    inputStream: getChunkedStream(limitFrameLength(source, max)),
    decoder: codec,
  });
  return {
    async *[Symbol.asyncIterator]() {
      try {
        yield* decoded;
      } catch (error) {
        if (error instanceof EventStreamFormatError) throw error;
        throw new EventStreamFormatError(
          `malformed event stream: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
    },
  };
}

/** Passes the bytes on unchanged, reading only each frame's declared length, and refuses one outside [16, max]. */
async function* limitFrameLength(source: AsyncIterable<Uint8Array>, max: number): AsyncIterable<Uint8Array> {
  let left = 0; // bytes of the current frame still to come, after its length
  let prefix: number[] = []; // bytes of the next frame's length seen so far
  for await (const chunk of source) {
    let at = 0;
    while (at < chunk.length) {
      if (left > 0) {
        const skip = Math.min(left, chunk.length - at);
        left -= skip;
        at += skip;
        continue;
      }
      prefix.push(chunk[at]!);
      at += 1;
      if (prefix.length < 4) continue;
      const length = ((prefix[0]! << 24) >>> 0) + (prefix[1]! << 16) + (prefix[2]! << 8) + prefix[3]!;
      prefix = [];
      if (length < MIN_MESSAGE_BYTES || length > max)
        throw new EventStreamFormatError(
          `event-stream frame of ${length} bytes: frames must be ${MIN_MESSAGE_BYTES} to ${max} bytes`,
        );
      left = length - 4;
    }
    yield chunk;
  }
}
