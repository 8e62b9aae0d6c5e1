/** What `BatchingInvoker.stats()` reports. Gauges are current values; counters grow from construction. */
export interface BatchingStats {
  /** Gauge: accepted requests not yet sent upstream (held, waiting for quota or a slot). */
  readonly queued: number;
  /** Gauge: in-flight requests backing off before a retry after a throttle. `queued + backingOff` ≤ maxQueueSize. */
  readonly backingOff: number;
  /** Gauge: requests whose upstream call has started and that are not settled (backoff between retries included). */
  readonly inFlight: number;
  /** Gauge: upstream calls running now (at most `concurrency`). */
  readonly upstreamInFlight: number;
  /** Gauge: batches held open waiting to fill or time out. */
  readonly heldBatches: number;
  /** Gauge: requests inside held batches. */
  readonly heldRequests: number;
  /** Counter: upstream calls made, retries included. */
  readonly dispatched: number;
  /** Counter: requests answered with a result. */
  readonly completed: number;
  /** Counter: requests rejected after acceptance (upstream errors, aborts, drain deadline). */
  readonly failed: number;
  /** Counter: retries of throttled calls. */
  readonly throttledRetries: number;
  /** Counter: requests refused with 'queue-full'. */
  readonly rejectedQueueFull: number;
  /** Counter: requests answered by a merged (multi-input) call. */
  readonly mergedRequests: number;
  readonly draining: boolean;
}

/** What happened to the requests that were pending while `drain()` ran. */
export interface DrainSummary {
  /** Answered with a result. */
  readonly completed: number;
  /** Rejected with their own error (upstream failure, caller abort) before the deadline. */
  readonly failed: number;
  /** Rejected with 'shutting-down' at the deadline, their calls aborted. */
  readonly rejected: number;
}
