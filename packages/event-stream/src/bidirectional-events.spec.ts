import { describe, expect, it } from 'vitest';
import { chunkBytes, chunkFrame, openEnvelope } from './bidirectional-events';
import { codec, stringHeader } from './event-frames';
import { EventStreamFormatError } from './read-messages';

const json = (value: unknown) => new Uint8Array(Buffer.from(JSON.stringify(value)));

describe('bidirectional events', () => {
  it('an output chunk carries its event bytes back to chunkBytes', () => {
    const event = json({ event: { textOutput: { content: 'hi' } } });
    const frame = codec.decode(chunkFrame(event));
    expect(stringHeader(frame.headers, ':event-type')).toBe('chunk');
    expect(Buffer.from(chunkBytes(frame)).toString()).toBe('{"event":{"textOutput":{"content":"hi"}}}');
  });

  it('opens a signed envelope around an event, and the empty one that ends the input', () => {
    const signature = new Uint8Array(32).fill(7);
    const date = new Date('2026-11-29T12:00:00Z');
    const wrap = (body: Uint8Array) =>
      codec.decode(
        codec.encode({
          headers: {
            ':date': { type: 'timestamp', value: date },
            ':chunk-signature': { type: 'binary', value: signature },
          },
          body,
        }),
      );
    const opened = openEnvelope(wrap(chunkFrame(json({ event: { sessionEnd: {} } }))));
    expect(opened.date?.toISOString()).toBe(date.toISOString());
    expect([...(opened.signature ?? [])]).toEqual([...signature]);
    expect(Buffer.from(chunkBytes(opened.event!)).toString()).toBe('{"event":{"sessionEnd":{}}}');
    expect(openEnvelope(wrap(new Uint8Array(0))).event).toBeUndefined();
  });

  it('refuses an unsigned frame where an envelope belongs, and a chunk without bytes', () => {
    const bare = codec.decode(chunkFrame(json({})));
    expect(() => openEnvelope(bare)).toThrow(EventStreamFormatError);
    const noBytes = codec.decode(
      codec.encode({ headers: { ':event-type': { type: 'string', value: 'chunk' } }, body: json({ other: 1 }) }),
    );
    expect(() => chunkBytes(noBytes)).toThrow(/must carry JSON \{"bytes"/);
    const wrongType = codec.decode(
      codec.encode({ headers: { ':event-type': { type: 'string', value: 'audio' } }, body: json({ bytes: '' }) }),
    );
    expect(() => chunkBytes(wrongType)).toThrow(/must be of type chunk, got "audio"/);
  });
});
