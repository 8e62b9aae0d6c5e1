import { describe, expect, it } from 'vitest';
import { imageSize } from './image-size';

const b64 = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p)))).toString(
    'base64',
  );
const le16 = (n: number) => [n & 0xff, n >> 8];
const le24 = (n: number) => [n & 0xff, (n >> 8) & 0xff, n >> 16];

describe(imageSize, () => {
  it('reads a GIF logical screen', () => {
    expect(imageSize(b64('GIF89a', le16(640), le16(480), [0, 0, 0]))).toEqual({ width: 640, height: 480 });
  });

  it('reads the three WebP headers (lossy, lossless, extended)', () => {
    const riff = (chunk: string, body: number[]) => b64('RIFF', [0, 0, 0, 0], 'WEBP', chunk, [0, 0, 0, 0], body);
    expect(imageSize(riff('VP8 ', [0, 0, 0, 0x9d, 0x01, 0x2a, ...le16(800), ...le16(600)]))).toEqual({
      width: 800,
      height: 600,
    });
    // VP8L: signature 0x2f, then 14 bits of width - 1 and 14 bits of height - 1, little-endian.
    const bits = (800 - 1) | ((600 - 1) << 14);
    expect(
      imageSize(riff('VP8L', [0x2f, bits & 0xff, (bits >> 8) & 0xff, (bits >> 16) & 0xff, (bits >> 24) & 0xff])),
    ).toEqual({ width: 800, height: 600 });
    expect(imageSize(riff('VP8X', [0, 0, 0, 0, ...le24(1919), ...le24(1079)]))).toEqual({ width: 1920, height: 1080 });
  });

  it('reads the URL-safe base64 alphabet too', () => {
    const png = Buffer.alloc(24);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(png);
    png.write('IHDR', 12, 'latin1');
    png.writeUInt32BE(4095, 16);
    png.writeUInt32BE(4031, 20);
    expect(imageSize(png.toString('base64url'))).toEqual({ width: 4095, height: 4031 });
  });

  it.each([
    ['empty', ''],
    ['not base64', '!!!!'],
    ['a PNG cut short', b64([0x89], 'PNG', [0x0d, 0x0a])],
    ['a JPEG without a frame header', b64([0xff, 0xd8, 0xff, 0xd9])],
    ['a JPEG whose segment lengths loop', b64([0xff, 0xd8, 0xff, 0xe0, 0, 0])],
    ['text', b64('hello, world')],
  ])('answers undefined for %s', (_name, data) => {
    expect(imageSize(data)).toBeUndefined();
  });
});
