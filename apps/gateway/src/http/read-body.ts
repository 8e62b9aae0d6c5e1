import type { IncomingMessage } from 'node:http';
import { NovaCostError } from '@nova-cost/domain';

function tooLarge(limit: number): NovaCostError {
  return new NovaCostError('validation', `request body is larger than the ${limit} byte limit (BODY_LIMIT_BYTES)`, { details: { reason: 'body-too-large', limitBytes: limit } });
}

/** The whole body, or a 413-mapped validation error as soon as it passes `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => failed || resolve(Buffer.concat(chunks)));
    req.on('error', (err) => failed || reject(new NovaCostError('aborted', 'the client stopped sending the request body', { cause: err })));
  });
}
