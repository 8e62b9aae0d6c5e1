import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codec, eventFrame, stringHeader } from './event-frames';
import { EventStreamFormatError, readMessages } from './read-messages';

async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  for (const p of parts) yield p;
}

async function collect(source: AsyncIterable<Uint8Array>, maxMessageBytes?: number): Promise<string[]> {
  const types: string[] = [];
  for await (const m of readMessages(source, maxMessageBytes === undefined ? {} : { maxMessageBytes }))
    types.push(stringHeader(m.headers, ':event-type') ?? '?');
  return types;
}

describe('readMessages', () => {
  it('decodes every frame however the bytes are split', async () => {
    const frames = ['a', 'b', 'c', 'd'].map((t) => eventFrame(t, { text: t.repeat(50) }));
    const all = Buffer.concat(frames);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: all.length - 1 }), { maxLength: 12 }), async (cuts) => {
        const points = [0, ...cuts.sort((x, y) => x - y), all.length];
        const parts = points.slice(1).map((end, i) => all.subarray(points[i], end));
        expect(await collect(chunks(...parts))).toEqual(['a', 'b', 'c', 'd']);
      }),
    );
  });

  it('refuses a frame declaring more than maxMessageBytes before reading it', async () => {
    const huge = Buffer.alloc(4);
    huge.writeUInt32BE(0xfffffff0);
    await expect(collect(chunks(eventFrame('a', {}), huge), 1024)).rejects.toThrow(
      /frame of 4294967280 bytes: frames must be 16 to 1024 bytes/,
    );
  });

  it('refuses a frame cut short at the end of the stream', async () => {
    const frame = eventFrame('a', { text: 'hello' });
    await expect(collect(chunks(frame.subarray(0, frame.length - 3)))).rejects.toBeInstanceOf(EventStreamFormatError);
  });

  it('refuses a frame whose checksum does not match', async () => {
    const frame = Buffer.from(eventFrame('a', { text: 'hello' }));
    frame[frame.length - 6] = frame[frame.length - 6]! ^ 0xff;
    await expect(collect(chunks(frame))).rejects.toThrow(/malformed event stream/);
  });

  it('reads nothing ahead of its consumer', async () => {
    let pulled = 0;
    async function* counted(): AsyncIterable<Uint8Array> {
      for (const t of ['a', 'b', 'c']) {
        pulled += 1;
        yield codec.encode({ headers: { ':event-type': { type: 'string', value: t } }, body: new Uint8Array(8) });
      }
    }
    const it = readMessages(counted())[Symbol.asyncIterator]();
    await it.next();
    expect(pulled).toBe(1);
  });
});
