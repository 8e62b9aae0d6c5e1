import type { PrefixHistory, PrefixSighting } from '@nova-cost/domain';
import { expect, it } from 'vitest';

const MINUTE = 60_000;
const T0 = Date.parse('2026-11-29T10:00:00Z');
const system = (fingerprint: string): PrefixSighting => ({
  kind: 'system',
  fingerprint,
  occurrence: true,
  recurrence: true,
});
const end = (fingerprint: string): PrefixSighting => ({
  kind: 'history',
  fingerprint,
  occurrence: true,
  recurrence: false,
});
const continues = (fingerprint: string): PrefixSighting => ({
  kind: 'history',
  fingerprint,
  occurrence: false,
  recurrence: true,
});

/** What every PrefixHistory must do; `newHistory` gives a fresh, empty one (a fresh tenant namespace will do). */
export function prefixHistoryContract(newHistory: () => Promise<{ history: PrefixHistory; tenant: string }>): void {
  it('answers what it knew of each prefix before the sighting, and remembers the sighting', async () => {
    const { history, tenant } = await newHistory();
    const first = await history.observe(tenant, [system('s1'), end('h1')], T0);
    expect(first.records).toEqual([{}, {}]);
    const again = await history.observe(tenant, [system('s1'), continues('h1'), end('h2')], T0 + MINUTE);
    expect(again.records).toEqual([{ lastSeenMs: T0 }, { lastSeenMs: T0 }, {}]);
  });

  it('counts occurrences with decay, and recurrences within 5 minutes and an hour', async () => {
    const { history, tenant } = await newHistory();
    await history.observe(tenant, [system('s')], T0);
    await history.observe(tenant, [system('s')], T0 + 2 * MINUTE);
    const third = await history.observe(tenant, [system('s')], T0 + 22 * MINUTE);
    const keep = 1 - 1 / 64;
    const o = (1 * keep + 1) * keep + 1;
    expect(third.recurrence.system.occurrences).toBeCloseTo(o, 9);
    expect(third.recurrence.system.within5m).toBeCloseTo(keep, 9);
    expect(third.recurrence.system.within1h).toBeCloseTo(keep + 1, 9);
    expect(third.recurrence.tools).toEqual({ occurrences: 0, within5m: 0, within1h: 0 });
  });

  it('counts a continuation of an earlier history as a history recurrence, not an occurrence', async () => {
    const { history, tenant } = await newHistory();
    await history.observe(tenant, [end('h1')], T0);
    const next = await history.observe(tenant, [continues('h1'), end('h2')], T0 + 10 * MINUTE);
    expect(next.recurrence.history.occurrences).toBeCloseTo(1 * (1 - 1 / 64) + 1, 9);
    expect(next.recurrence.history.within5m).toBe(0);
    expect(next.recurrence.history.within1h).toBeCloseTo(1, 9);
  });

  it('remembers the cache points placed, keeping when the prefix was last seen', async () => {
    const { history, tenant } = await newHistory();
    await history.observe(tenant, [system('s')], T0);
    await history.placed(tenant, [{ fingerprint: 's', untilMs: T0 + 60 * MINUTE, ttl: '1h' }]);
    const later = await history.observe(tenant, [system('s')], T0 + MINUTE);
    expect(later.records).toEqual([{ lastSeenMs: T0, cachedUntilMs: T0 + 60 * MINUTE, cachedTtl: '1h' }]);
  });

  it('keeps tenants apart', async () => {
    const { history, tenant } = await newHistory();
    await history.observe(tenant, [system('s')], T0);
    const other = await history.observe(`${tenant}-other`, [system('s')], T0 + MINUTE);
    expect(other.records).toEqual([{}]);
    expect(other.recurrence.system.within5m).toBe(0);
  });
}
