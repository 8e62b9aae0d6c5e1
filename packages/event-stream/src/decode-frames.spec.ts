import { EventStreamCodec } from '@smithy/core/event-streams';
import { describe, expect, it } from 'vitest';
import { decodeFrames } from './decode-frames';
import { eventFrame, exceptionFrame, padding } from './event-frames';

const sdkCodec = new EventStreamCodec(
  (b) => Buffer.from(b).toString('utf8'),
  (s) => new Uint8Array(Buffer.from(s, 'utf8')),
);

describe(eventFrame, () => {
  it('frames an event as the SDK decodes it: Bedrock headers, the payload with its padding', () => {
    const message = sdkCodec.decode(eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi' } }));
    expect(Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, v.value]))).toEqual({
      ':event-type': 'contentBlockDelta',
      ':content-type': 'application/json',
      ':message-type': 'event',
    });
    const payload = JSON.parse(Buffer.from(message.body).toString('utf8')) as Record<string, unknown>;
    expect(payload).toMatchObject({ contentBlockIndex: 0, delta: { text: 'Hi' }, p: expect.any(String) });
  });
});

describe(exceptionFrame, () => {
  it('frames an exception with :exception-type and no padding', () => {
    const [frame] = decodeFrames(exceptionFrame('throttlingException', { message: 'slow down' }));
    expect(frame).toEqual({
      headers: {
        ':exception-type': 'throttlingException',
        ':content-type': 'application/json',
        ':message-type': 'exception',
      },
      body: { message: 'slow down' },
    });
  });
});

describe(padding, () => {
  it('is a non-empty prefix of the alphabet Bedrock pads with', () => {
    for (let i = 0; i < 50; i++) {
      const p = padding();
      expect(p.length).toBeGreaterThan(0);
      expect('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.startsWith(p)).toBe(true);
    }
  });
});

describe(decodeFrames, () => {
  it('reads whole frames and leaves a frame cut short', () => {
    const bytes = Buffer.concat([eventFrame('a', {}), eventFrame('b', {}), eventFrame('c', {}).subarray(0, 10)]);
    expect(decodeFrames(bytes).map((f) => f.headers[':event-type'])).toEqual(['a', 'b']);
  });
});
