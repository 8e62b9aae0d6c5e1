/** Counters of a CachingInvoker since it was made. */
export interface CachingStats {
  /** Answered from the store (hot copies in process included). */
  hits: number;
  /** Of the hits, those answered from the copies kept in process (hotMaxBytes), without asking the store. */
  hotHits: number;
  /** Looked up and not found (or unreadable); went upstream or waited for another caller. */
  misses: number;
  /** Answered by another caller's upstream call (same process, or another process through the lock). */
  coalesced: number;
  /** Not cacheable (cache plan 'none'): passed straight to the next invoker. */
  bypass: number;
  /** Store calls that failed, timed out or were refused by the open circuit. */
  errors: number;
  /** Answers not stored: too big, truncated (max_tokens) or refused by the model. */
  notStored: number;
  bytesRead: number;
  bytesWritten: number;
}

export function emptyStats(): CachingStats {
  return {
    hits: 0,
    hotHits: 0,
    misses: 0,
    coalesced: 0,
    bypass: 0,
    errors: 0,
    notStored: 0,
    bytesRead: 0,
    bytesWritten: 0,
  };
}
