import type { Clock } from '@nova-cost/domain';

/** The replay's time: set to each call's logged time before the call is replayed. Never goes back. */
export class SimulatedClock implements Clock {
  private ms = Number.NEGATIVE_INFINITY;

  now(): Date {
    return new Date(this.ms);
  }

  get nowMs(): number {
    return this.ms;
  }

  /** Moves time to `ms`, or keeps it where it is when `ms` is earlier (a late record); returns the time set. */
  advanceTo(ms: number): number {
    if (ms > this.ms) this.ms = ms;
    return this.ms;
  }
}
