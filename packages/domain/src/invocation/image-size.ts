export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const SEXTET = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) SEXTET[ALPHABET.charCodeAt(i)] = i;
SEXTET['-'.charCodeAt(0)] = 62; // base64url
SEXTET['_'.charCodeAt(0)] = 63;

/** Reads bytes at any offset of a base64 string, decoding only the quartets it needs (an image can be megabytes). */
class Base64Bytes {
  constructor(private readonly b64: string) {}

  /** The byte at `offset`, or -1 past the end or on a character that is not base64. */
  at(offset: number): number {
    const q = Math.floor(offset / 3) * 4;
    if (q + 1 >= this.b64.length) return -1;
    const s = (k: number) => {
      const c = this.b64.charCodeAt(q + k);
      return c < 128 ? (SEXTET[c] as number) : -1;
    };
    const a = s(0);
    const b = s(1);
    switch (offset % 3) {
      case 0:
        return a < 0 || b < 0 ? -1 : (a << 2) | (b >> 4);
      case 1: {
        const c = s(2);
        return b < 0 || c < 0 ? -1 : ((b & 0xf) << 4) | (c >> 2);
      }
      default: {
        const c = s(2);
        const d = s(3);
        return c < 0 || d < 0 ? -1 : ((c & 0x3) << 6) | d;
      }
    }
  }

  /** An unsigned integer of `bytes` bytes at `offset`, big- or little-endian; -1 when cut short. */
  uint(offset: number, bytes: number, littleEndian: boolean): number {
    let value = 0;
    for (let i = 0; i < bytes; i++) {
      const byte = this.at(offset + (littleEndian ? bytes - 1 - i : i));
      if (byte < 0) return -1;
      value = value * 256 + byte;
    }
    return value;
  }

  ascii(offset: number, length: number): string {
    let s = '';
    for (let i = 0; i < length; i++) s += String.fromCharCode(Math.max(0, this.at(offset + i)));
    return s;
  }
}

/** JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic): they carry the frame size. */
const JPEG_SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

/**
 * Width and height of a PNG, JPEG, GIF or WebP image given as base64 (standard or URL alphabet), read from its
 * header; undefined when the bytes are none of those or are cut short.
 */
export function imageSize(base64: string): ImageSize | undefined {
  const bytes = new Base64Bytes(base64);
  const sized = (width: number, height: number) => (width > 0 && height > 0 ? { width, height } : undefined);
  if (bytes.at(0) === 0x89 && bytes.ascii(1, 3) === 'PNG')
    return sized(bytes.uint(16, 4, false), bytes.uint(20, 4, false));
  if (bytes.ascii(0, 4) === 'GIF8') return sized(bytes.uint(6, 2, true), bytes.uint(8, 2, true));
  if (bytes.ascii(0, 4) === 'RIFF' && bytes.ascii(8, 4) === 'WEBP') {
    const chunk = bytes.ascii(12, 4);
    if (chunk === 'VP8 ') return sized(bytes.uint(26, 2, true) & 0x3fff, bytes.uint(28, 2, true) & 0x3fff);
    if (chunk === 'VP8X') return sized(bytes.uint(24, 3, true) + 1, bytes.uint(27, 3, true) + 1);
    if (chunk === 'VP8L') {
      const [b1, b2, b3, b4] = [bytes.at(21), bytes.at(22), bytes.at(23), bytes.at(24)] as [
        number,
        number,
        number,
        number,
      ];
      if (Math.min(b1, b2, b3, b4) < 0) return undefined;
      return sized(1 + (((b2 & 0x3f) << 8) | b1), 1 + (((b4 & 0xf) << 10) | (b3 << 2) | ((b2 & 0xc0) >> 6)));
    }
    return undefined;
  }
  if (bytes.at(0) === 0xff && bytes.at(1) === 0xd8) {
    // Walk the segments to the frame header; metadata (EXIF, thumbnails) may come first. Bounded: a JPEG has few.
    let offset = 2;
    for (let segments = 0; segments < 512; segments++) {
      if (bytes.at(offset) !== 0xff) return undefined;
      const marker = bytes.at(offset + 1);
      if (marker === 0xff) {
        offset += 1; // fill byte
        continue;
      }
      if (JPEG_SOF.has(marker)) return sized(bytes.uint(offset + 7, 2, false), bytes.uint(offset + 5, 2, false));
      const length = bytes.uint(offset + 2, 2, false);
      if (length < 2) return undefined;
      offset += 2 + length;
    }
  }
  return undefined;
}
