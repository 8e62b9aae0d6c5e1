import type { CircuitBreakerOptions } from './circuit-breaker';

export interface CachingInvokerOptions {
  /**
   * Budget of each store call; past it the call counts as failed and the request goes upstream. Time this process's
   * event loop was too busy to read an answer that had arrived does not count. @default 50
   */
  readonly storeTimeoutMs?: number;
  /** Answers whose envelope is larger than this many bytes are not stored. @default 1048576 (1 MiB) */
  readonly maxEntryBytes?: number;
  /** How long the cross-process fetch lock lives without a refresh; its holder refreshes it every half of this while its call runs. @default 5000 */
  readonly lockTtlMs?: number;
  /**
   * Longest a caller that lost the lock waits for the holder's entry before calling upstream itself (a bound on
   * purpose: past it a second upstream call is made rather than a longer wait). It stops waiting sooner when the lock
   * goes without an entry (the holder failed or died): it then takes the lock over; or when the store's circuit
   * opens. A single poll the store fails to answer does not end the wait. Measured on `now`. @default 30000
   */
  readonly lockWaitMs?: number;
  /** Interval between store reads while waiting for the holder's entry; it doubles after 8 reads, up to 4×. @default 25 */
  readonly lockPollMs?: number;
  /** Circuit breaker around the store. @default { failureThreshold: 5, openMs: 1000 } */
  readonly breaker?: CircuitBreakerOptions;
  /**
   * Bytes of decoded answers also kept in this process (least recently used go first; each counts its stored
   * envelope's length), served without asking the store. In front of a store out of process, a store that is slow,
   * failing or out of reach of a busy process then costs one upstream call per answer, not one per request. In front
   * of a store in process, a hit on one skips the store read, its promise and the envelope's decoding; each is then a
   * second copy of an answer the store holds (decoded into its own strings, not sharing the store's text). 0 turns it
   * off. @default 16777216 (16 MiB)
   */
  readonly hotMaxBytes?: number;
  /** Longest an answer is served from process memory; never past its TTL in the store. @default 60000 */
  readonly hotMaxAgeMs?: number;
  /** Milliseconds since epoch, for entry timestamps and latency. @default Date.now */
  readonly now?: () => number;
}
