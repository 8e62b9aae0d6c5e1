import type { IncomingMessage } from 'node:http';
import { NovaCostError } from '@nova-cost/domain';

/** One request's share of the budget: what it has taken, given back all at once when the request is done. */
export interface BodyReservation {
  /** Takes `bytes` more, or throws 'queue-full' when the budget has not that much left. */
  take(bytes: number): void;
  /** Gives back everything taken; idempotent. */
  release(): void;
}

/**
 * The bytes of request bodies the gateway holds at once, across all connections: each request takes its body's
 * bytes as they arrive (or as its content-length declares, before reading) and gives them back when it is
 * answered. Past the limit a request is refused at once with 'queue-full' (429, Retry-After), so many uploads
 * at the same time cannot exhaust memory, whatever each one's size under BODY_LIMIT_BYTES.
 */
export class BodyBudget {
  private used = 0;

  constructor(readonly limitBytes: number) {}

  /** Bytes held now (the `nova_cost_body_buffer_bytes` gauge). */
  get bytes(): number {
    return this.used;
  }

  open(): BodyReservation {
    let taken = 0;
    return {
      take: (bytes) => {
        if (this.used + bytes > this.limitBytes) {
          throw new NovaCostError(
            'queue-full',
            `the gateway already holds ${this.used} bytes of request bodies, and ${bytes} more would pass BODY_BUFFER_LIMIT_BYTES (${this.limitBytes}); retry later`,
            {
              details: { reason: 'body-buffer-full', limitBytes: this.limitBytes },
            },
          );
        }
        this.used += bytes;
        taken += bytes;
      },
      release: () => {
        this.used -= taken;
        taken = 0;
      },
    };
  }
}

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
    // A declared length is read into one buffer of that size: megabytes are not copied a second time to join their
    // chunks (each copy is memory the event loop's collector is then pressed to reclaim).
    const whole = known ? Buffer.allocUnsafe(declared) : undefined;
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
      if (whole) {
        if (size <= whole.length) return void chunk.copy(whole, size - chunk.length);
        return fail(new NovaCostError('validation', `request body is longer than its content-length (${declared})`));
      }
      try {
        reservation.take(chunk.length);
      } catch (error) {
        return fail(error as NovaCostError);
      }
      chunks.push(chunk);
    });
    req.on(
      'end',
      () =>
        failed ||
        resolve(whole ? whole.subarray(0, size) : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)),
    );
    req.on(
      'error',
      (err) =>
        failed || reject(new NovaCostError('aborted', 'the client stopped sending the request body', { cause: err })),
    );
  });
}
