import type {
  PrefixHistory,
  PrefixKind,
  PrefixObservation,
  PrefixRecord,
  PrefixSighting,
  RecurrenceStats,
} from './prefix-history.port';

/** Each occurrence weighs this much less than the one after it: the stats follow the last ~64 of a kind. */
export const RECURRENCE_DECAY = 1 / 64;
const FIVE_MINUTES = 5 * 60_000;
const HOUR = 60 * 60_000;
const KINDS: readonly PrefixKind[] = ['tools', 'system', 'history'];

export const NO_RECURRENCE: RecurrenceStats = { occurrences: 0, within5m: 0, within1h: 0 };

/**
 * The stats after one request's sightings: each occurrence first decays the counts and adds one, then each recurrence
 * (a sighting of a prefix seen within 5 minutes or an hour) adds to its windows; never more recurrences than
 * occurrences. `records` are what was known of each sighting's prefix before.
 */
export function recordSightings(
  stats: RecurrenceStats,
  sightings: readonly PrefixSighting[],
  records: readonly PrefixRecord[],
  nowMs: number,
): RecurrenceStats {
  let { occurrences, within5m, within1h } = stats;
  const keep = 1 - RECURRENCE_DECAY;
  for (const s of sightings) {
    if (!s.occurrence) continue;
    occurrences = occurrences * keep + 1;
    within5m *= keep;
    within1h *= keep;
  }
  sightings.forEach((s, i) => {
    const lastSeen = records[i]?.lastSeenMs;
    if (!s.recurrence || lastSeen === undefined) return;
    if (nowMs - lastSeen <= FIVE_MINUTES) within5m += 1;
    if (nowMs - lastSeen <= HOUR) within1h += 1;
  });
  return { occurrences, within5m: Math.min(within5m, occurrences), within1h: Math.min(within1h, occurrences) };
}

/** A tenant's prefixes in this process: at most `maxPrefixes` per tenant, the least recently seen forgotten first. */
export class InMemoryPrefixHistory implements PrefixHistory {
  private readonly tenants = new Map<
    string,
    { prefixes: Map<string, PrefixRecord>; stats: Record<PrefixKind, RecurrenceStats> }
  >();

  /** @param maxPrefixes per tenant. @default 10000 */
  constructor(private readonly maxPrefixes = 10_000) {}

  observe(tenantId: string, sightings: readonly PrefixSighting[], nowMs: number): Promise<PrefixObservation> {
    const tenant = this.tenant(tenantId);
    const records = sightings.map((s) => tenant.prefixes.get(s.fingerprint) ?? {});
    for (const kind of KINDS) {
      const mine = sightings.map((s, i) => [s, records[i]!] as const).filter(([s]) => s.kind === kind);
      tenant.stats[kind] = recordSightings(
        tenant.stats[kind],
        mine.map(([s]) => s),
        mine.map(([, r]) => r),
        nowMs,
      );
    }
    sightings.forEach((s, i) => this.remember(tenant.prefixes, s.fingerprint, { ...records[i], lastSeenMs: nowMs }));
    return Promise.resolve({ records, recurrence: { ...tenant.stats } });
  }

  placed(
    tenantId: string,
    points: readonly { fingerprint: string; untilMs: number; ttl: '5m' | '1h' }[],
  ): Promise<void> {
    const tenant = this.tenant(tenantId);
    for (const p of points) {
      const record = tenant.prefixes.get(p.fingerprint) ?? {};
      this.remember(tenant.prefixes, p.fingerprint, { ...record, cachedUntilMs: p.untilMs, cachedTtl: p.ttl });
    }
    return Promise.resolve();
  }

  private tenant(tenantId: string) {
    let tenant = this.tenants.get(tenantId);
    if (!tenant) {
      tenant = {
        prefixes: new Map(),
        stats: Object.fromEntries(KINDS.map((k) => [k, NO_RECURRENCE])) as Record<PrefixKind, RecurrenceStats>,
      };
      this.tenants.set(tenantId, tenant);
    }
    return tenant;
  }

  private remember(prefixes: Map<string, PrefixRecord>, fingerprint: string, record: PrefixRecord): void {
    prefixes.delete(fingerprint);
    prefixes.set(fingerprint, record);
    if (prefixes.size > this.maxPrefixes) {
      const oldest = prefixes.keys().next().value;
      if (oldest !== undefined) prefixes.delete(oldest);
    }
  }
}
