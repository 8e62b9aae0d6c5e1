import { codec } from './event-frames';

/** The whole frames in `bytes`, decoded: headers as strings, payload as JSON. For specs and tools reading a body at once. */
export function decodeFrames(bytes: Uint8Array): { headers: Record<string, string>; body: unknown }[] {
  const frames: { headers: Record<string, string>; body: unknown }[] = [];
  for (let at = 0; at + 4 <= bytes.length;) {
    const length = new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0);
    if (at + length > bytes.length) break;
    const message = codec.decode(bytes.subarray(at, at + length));
    const headers = Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, String(v.value)]));
    frames.push({ headers, body: JSON.parse(Buffer.from(message.body).toString('utf8')) as unknown });
    at += length;
  }
  return frames;
}
