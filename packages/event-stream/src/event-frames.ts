import { randomInt } from 'node:crypto';
import { EventStreamCodec } from '@smithy/core/event-streams';

// Bedrock's streaming bodies are `application/vnd.amazon.eventstream`: binary frames (prelude, headers, payload,
// CRC32s), encoded and decoded here with the AWS SDK's own codec.

export const codec = new EventStreamCodec(
  (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
  (text) => new Uint8Array(Buffer.from(text, 'utf8')),
);

const PAD_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * Bedrock pads every payload with a `p` member, a prefix of the alphabet of random length, so that the size of an
 * encrypted frame does not tell the length of the tokens it carries. Clients ignore it.
 */
export function padding(): string {
  return PAD_ALPHABET.slice(0, randomInt(1, PAD_ALPHABET.length + 1));
}

const string = (value: string) => ({ type: 'string' as const, value });

/** An event frame: `:event-type`, `:content-type: application/json`, `:message-type: event`; the payload padded. */
export function eventFrame(eventType: string, payload: Record<string, unknown>): Uint8Array {
  return codec.encode({
    headers: {
      ':event-type': string(eventType),
      ':content-type': string('application/json'),
      ':message-type': string('event'),
    },
    body: Buffer.from(JSON.stringify({ ...payload, p: padding() }), 'utf8'),
  });
}

/** An exception frame, which the SDK raises as the exception class of `exceptionType` (e.g. `modelStreamErrorException`). */
export function exceptionFrame(exceptionType: string, payload: Record<string, unknown>): Uint8Array {
  return codec.encode({
    headers: {
      ':exception-type': string(exceptionType),
      ':content-type': string('application/json'),
      ':message-type': string('exception'),
    },
    body: Buffer.from(JSON.stringify(payload), 'utf8'),
  });
}

/** A decoded frame: its headers and payload bytes. */
export type Message = ReturnType<EventStreamCodec['decode']>;

/** A string header's value, or undefined when the message has none of that name (or not a string). */
export function stringHeader(headers: Message['headers'], name: string): string | undefined {
  const header = headers[name];
  return header?.type === 'string' ? header.value : undefined;
}
