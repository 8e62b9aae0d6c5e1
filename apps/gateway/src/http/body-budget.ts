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
