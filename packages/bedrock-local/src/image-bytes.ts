import { validation } from './wire-error';

const FORMATS = ['png', 'jpeg', 'gif', 'webp'] as const;
type ImageFormat = (typeof FORMATS)[number];

const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

// The file signatures Bedrock's image decoder checks before any model sees the bytes.
const SIGNATURES: Readonly<Record<ImageFormat, (bytes: Buffer) => boolean>> = {
  png: (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  jpeg: (b) => startsWith(b, [0xff, 0xd8, 0xff]),
  gif: (b) => startsWith(b, ascii('GIF87a')) || startsWith(b, ascii('GIF89a')),
  webp: (b) => startsWith(b, ascii('RIFF')) && startsWith(b.subarray(8), ascii('WEBP')),
};

function startsWith(bytes: Buffer, prefix: readonly number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((byte, i) => bytes[i] === byte);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Checks a Converse / Nova `image` block the way Bedrock does: a known format, and base64 `source.bytes` that
 * decode to an image of that format (bytes encoded twice decode to base64 text, not an image). An S3 source is
 * taken as is.
 */
export function checkImageBlock(image: unknown, field: string): void {
  if (typeof image !== 'object' || image === null || Array.isArray(image))
    throw validation(`${field} must be an object`);
  const { format, source } = image as Record<string, unknown>;
  if (!FORMATS.includes(format as ImageFormat))
    throw validation(`${field}.format must be one of ${FORMATS.join(', ')}`);
  if (typeof source !== 'object' || source === null) throw validation(`${field}.source must be an object`);
  const bytes = (source as Record<string, unknown>)['bytes'];
  if (bytes === undefined) return;
  if (typeof bytes !== 'string' || bytes.length % 4 !== 0 || !BASE64.test(bytes))
    throw validation(`${field}.source.bytes must be base64`);
  if (!SIGNATURES[format as ImageFormat](Buffer.from(bytes, 'base64')))
    throw validation(`The provided image bytes are not a valid ${String(format)}`);
}
