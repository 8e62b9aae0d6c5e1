import type { IncomingMessage } from 'node:http';
import { NovaCostError } from '@nova-cost/domain';
import type { BodyReservation } from './body-budget';

function tooLarge(limit: number): NovaCostError {
  return new NovaCostError('validation', `request body is larger than the ${limit} byte limit (BODY_LIMIT_BYTES)`, {
    details: { reason: 'body-too-large', limitBytes: limit },
  });
}

/**
 * The whole body, or a 413-mapped validation error as soon as it passes `limit` bytes. Its bytes are taken from
 * `reservation` (a declared content-length at once, before reading; otherwise chunk by chunk), which refuses with
 * 'queue-full' when the gateway already holds too many bodies. After a refusal the rest is not read: the caller
 * answers with stopReadingAfterAnswer.
 */
export function readBody(req: IncomingMessage, limit: number, reservation: BodyReservation): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  const known = req.headers['content-length'] !== undefined && Number.isFinite(declared);
  if (known && declared > limit) return Promise.reject(tooLarge(limit));
  try {
    if (known) reservation.take(declared);
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const fail = (error: NovaCostError): void => {
      failed = true;
      chunks.length = 0;
      req.pause();
      reject(error);
    };
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) return fail(tooLarge(limit));
      // node:http refuses a body longer than its content-length, so only an undeclared length needs taking here.
      if (!known) {
        try {
          reservation.take(chunk.length);
        } catch (error) {
          return fail(error as NovaCostError);
        }
      }
      chunks.push(chunk);
    });
    req.on('end', () => failed || resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.on(
      'error',
      (err) =>
        failed || reject(new NovaCostError('aborted', 'the client stopped sending the request body', { cause: err })),
    );
  });
}
