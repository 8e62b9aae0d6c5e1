/**
 * What a prompt prefix is to the prompt-cache payoff guard: the tools, the system prompt, or a conversation's history
 * (the prompt up to its last message, which the conversation's next turn repeats).
 */
export type PrefixKind = 'tools' | 'system' | 'history';

/**
 * A prefix a request holds. Tools and system prompts both may recur later and may repeat an earlier one. A request's
 * whole history may recur (its conversation's next turn repeats it), and the history up to the turn before repeats the
 * previous request's whole history.
 */
export interface PrefixSighting {
  readonly kind: PrefixKind;
  readonly fingerprint: string;
  /** Counts as an occurrence of its kind: a prefix a later request may repeat. */
  readonly occurrence: boolean;
  /** Counts as a recurrence of its kind when it was seen within 5 minutes or an hour before. */
  readonly recurrence: boolean;
}

/** What was known of one prefix before this sighting. */
export interface PrefixRecord {
  /** When it was last seen (ms since the epoch), if it was. */
  readonly lastSeenMs?: number;
  /** Until when a cache point placed there keeps it cached (ms since the epoch), and with which TTL. */
  readonly cachedUntilMs?: number;
  readonly cachedTtl?: '5m' | '1h';
}

/**
 * How often a tenant's prefixes of one kind recur: decayed counts of sightings that may recur (`occurrences`) and of
 * those repeated within 5 minutes and within an hour of the sighting before.
 */
export interface RecurrenceStats {
  readonly occurrences: number;
  readonly within5m: number;
  readonly within1h: number;
}

export interface PrefixObservation {
  /** One record per sighting, in order. */
  readonly records: readonly PrefixRecord[];
  /** Per kind, these sightings included. */
  readonly recurrence: Readonly<Record<PrefixKind, RecurrenceStats>>;
}

/**
 * Where the payoff guard keeps what it learns of each tenant's prefixes: shared by the fleet (Redis) when there is
 * one, else in this process. Fails open: a store that cannot answer answers as if it knew nothing.
 */
export interface PrefixHistory {
  /** Records `sightings` of a tenant's prompt at `nowMs`, and answers what was known before them. */
  observe(tenantId: string, sightings: readonly PrefixSighting[], nowMs: number): Promise<PrefixObservation>;
  /** Records cache points placed at these prefixes, cached until `untilMs`. */
  placed(
    tenantId: string,
    points: readonly { fingerprint: string; untilMs: number; ttl: '5m' | '1h' }[],
  ): Promise<void>;
}
