import type { CachePointPlacement, PromptBoundary, PromptLayout } from '../invocation/prompt-layout';
import type { CacheTtl, PromptCacheSupport } from '../models/prompt-cache-support';
import { CACHE_TTL_MS } from '../models/prompt-cache-support';
import type { PrefixHistory, PrefixKind, PrefixRecord, PrefixSighting, RecurrenceStats } from './prefix-history.port';

/** A model's per-token rates that decide whether a cache point pays (any unit, the same for all four). */
export interface CacheRates {
  readonly input: number;
  readonly read: number;
  readonly write5m: number;
  readonly write1h: number;
}

/** Where the guard puts cache points, and what it must remember having placed once the call is made. */
export interface CachePointDecision {
  readonly placements: readonly CachePointPlacement[];
  readonly placed: readonly { readonly fingerprint: string; readonly untilMs: number; readonly ttl: CacheTtl }[];
}

/** A chain of reads is counted at most this long: a prefix read more often still pays, just not more than this. */
const MAX_EXPECTED_READS = 10;

interface Candidate {
  readonly boundary: PromptBoundary;
  readonly kind: PrefixKind;
  readonly record: PrefixRecord;
  /** Only worth placing while cached: a point that reads what the turn before wrote. */
  readonly readOnly: boolean;
}

interface Point {
  readonly tokens: number;
  readonly ttl: CacheTtl;
  readonly candidate?: Candidate;
}

function expectedReads(stats: RecurrenceStats, ttl: CacheTtl): number {
  if (stats.occurrences <= 0) return 0;
  const p = Math.min((ttl === '5m' ? stats.within5m : stats.within1h) / stats.occurrences, 1);
  return p >= 1 ? MAX_EXPECTED_READS : Math.min(p / (1 - p), MAX_EXPECTED_READS);
}

/**
 * The payoff guard: places cache points only where the expected reuse within the TTL pays for the write. A write
 * costs `write/input - 1` more than plain input per token (Claude: 0.25 for 5 minutes, 1 for an hour; Nova: 0) and
 * each read saves `1 - read/input` (Claude 0.9, Nova 0.75). A segment's expected reads come from how often the
 * tenant's prefixes of its kind recurred within the TTL (a chain of reads while each comes within the TTL of the one
 * before); a segment believed cached is read at once and renewed for those reads, without a write's premium (so a
 * cached prefix changes its TTL only for a chain of reads worth more than its own, never back and forth), and a
 * conversation's new end keeps the TTL its history was cached with. Of every placement the model allows (at most its checkpoints
 * with the caller's own, each with at least its minimum tokens, TTLs non-increasing through tools, system and
 * messages), the one with the greatest expected saving wins; none when nothing is expected to pay.
 */
export async function guardCachePoints(args: {
  readonly tenantId: string;
  readonly layout: PromptLayout;
  readonly support: PromptCacheSupport;
  readonly rates: CacheRates;
  readonly history: PrefixHistory;
  readonly nowMs: number;
}): Promise<CachePointDecision> {
  const { layout, support, rates, nowMs } = args;
  const none: CachePointDecision = { placements: [], placed: [] };
  if (!(rates.input > 0)) return none;
  const last = (section: PromptBoundary['section']) => layout.boundaries.filter((b) => b.section === section).at(-1);
  const messages = layout.boundaries.filter((b) => b.section === 'messages');
  const end = messages.at(-1);
  const previousEnd = messages.length >= 3 ? messages[messages.length - 3] : undefined;
  const sightings: (PrefixSighting & { boundary: PromptBoundary; readOnly: boolean })[] = [];
  const sight = (boundary: PromptBoundary | undefined, kind: PrefixKind, occurrence: boolean, recurrence: boolean) => {
    if (boundary)
      sightings.push({
        kind,
        fingerprint: boundary.fingerprint,
        occurrence,
        recurrence,
        boundary,
        readOnly: !occurrence,
      });
  };
  sight(last('tools'), 'tools', true, true);
  sight(last('system'), 'system', true, true);
  sight(previousEnd, 'history', false, true);
  sight(end, 'history', true, false);
  if (sightings.length === 0) return none;
  const observed = await args.history.observe(
    args.tenantId,
    sightings.map(({ kind, fingerprint, occurrence, recurrence }) => ({ kind, fingerprint, occurrence, recurrence })),
    nowMs,
  );
  const taken = new Set(layout.callerPoints.map((p) => `${p.section}|${p.tokens}`));
  const candidates: Candidate[] = sightings
    .map((s, i) => ({ boundary: s.boundary, kind: s.kind, record: observed.records[i] ?? {}, readOnly: s.readOnly }))
    .filter(
      (c) =>
        support.sections.includes(c.boundary.section) &&
        !taken.has(`${c.boundary.section}|${c.boundary.tokens}`) &&
        c.boundary.tokens <= (support.maxCachedTokens ?? Number.POSITIVE_INFINITY) &&
        (!c.readOnly || cachedAt(c.record, nowMs) !== undefined),
    );

  const saving = 1 - rates.read / rates.input;
  const premium: Record<CacheTtl, number> = {
    '5m': rates.write5m / rates.input - 1,
    '1h': rates.write1h / rates.input - 1,
  };
  const value = (c: Candidate, ttl: CacheTtl, segment: number): number => {
    const reads = expectedReads(observed.recurrence[c.kind], ttl);
    // Reading what is cached saves now and renews it for the reads to come, as a write would, without its premium;
    // what only the turn before wrote is read once (the conversation moves on to its new end).
    if (cachedAt(c.record, nowMs) === ttl) return segment * saving * (c.readOnly ? 1 : 1 + reads);
    if (c.readOnly) return Number.NEGATIVE_INFINITY;
    return segment * (saving * reads - premium[ttl]);
  };

  // A conversation's new end keeps the TTL its history was cached with: weighing the other would set one read of the
  // turn before against a fresh write's chain of reads, which the other TTL wins each time, so the choice would flip
  // 5m → 1h → 5m turn after turn, paying Claude's 1-hour write premium again and again.
  const before = candidates.find((c) => c.boundary === previousEnd);
  const conversationTtl = before ? cachedAt(before.record, nowMs) : undefined;
  const optionsOf = (c: Candidate): readonly (CacheTtl | undefined)[] =>
    conversationTtl !== undefined && c.kind === 'history' && !c.readOnly
      ? [undefined, conversationTtl]
      : [undefined, ...support.ttls];
  let best: { value: number; points: Point[] } = { value: 0, points: [] };
  const choose = (i: number, chosen: Point[]): void => {
    if (i === candidates.length) {
      const scored = score(chosen);
      if (scored !== undefined && scored > best.value) best = { value: scored, points: chosen };
      return;
    }
    for (const ttl of optionsOf(candidates[i]!))
      choose(
        i + 1,
        ttl === undefined
          ? chosen
          : [...chosen, { tokens: candidates[i]!.boundary.tokens, ttl, candidate: candidates[i]! }],
      );
  };
  /** The expected saving of a placement, or undefined when the model would refuse or ignore part of it. */
  const score = (chosen: readonly Point[]): number | undefined => {
    const all: Point[] = [...layout.callerPoints.map((p) => ({ tokens: p.tokens, ttl: p.ttl })), ...chosen].sort(
      (a, b) => a.tokens - b.tokens,
    );
    if (all.length > support.maxCheckpoints) return undefined;
    let total = 0;
    let before = 0;
    for (let i = 0; i < all.length; i++) {
      const point = all[i]!;
      if (i > 0 && point.ttl === '1h' && all[i - 1]!.ttl === '5m') return undefined;
      const segment = point.tokens - before;
      before = point.tokens;
      if (!point.candidate) continue;
      if (segment < support.minTokensPerCheckpoint) return undefined;
      const v = value(point.candidate, point.ttl, segment);
      if (!(v > 0)) return undefined;
      total += v;
    }
    return total;
  };
  choose(0, []);
  const placed = best.points.filter((p): p is Point & { candidate: Candidate } => p.candidate !== undefined);
  return {
    placements: placed.map((p) => ({
      section: p.candidate.boundary.section,
      index: p.candidate.boundary.index,
      ttl: p.ttl,
    })),
    placed: placed.map((p) => ({
      fingerprint: p.candidate.boundary.fingerprint,
      untilMs: nowMs + CACHE_TTL_MS[p.ttl],
      ttl: p.ttl,
    })),
  };
}

/** The TTL a prefix is believed cached with at `nowMs` (a point placed there not yet expired), if any. */
function cachedAt(record: PrefixRecord, nowMs: number): CacheTtl | undefined {
  return record.cachedUntilMs !== undefined && record.cachedUntilMs > nowMs ? record.cachedTtl : undefined;
}
