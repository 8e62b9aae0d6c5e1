import type { DeferredCall } from './deferred-call';
import { describe, expect, it } from 'vitest';
import type { GroupLimits, PendingCall } from './batch-grouping';
import { decideGroup, groupKeyOf } from './batch-grouping';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const HOUR = 3_600_000;
const LIMITS: GroupLimits = { minRecords: 3, maxRecords: 5, maxInputBytes: 10_000, maxWaitMs: HOUR };

function pending(n: number, opts: { submittedAt?: number; latestSendAt?: number; bytes?: number } = {}): PendingCall[] {
  return Array.from({ length: n }, (_, i) => {
    const submittedAt = opts.submittedAt ?? T0;
    const call = {
      id: `c${String(i).padStart(3, '0')}`,
      submittedAt: new Date(submittedAt),
      request: { tenantId: 't', modelId: 'amazon.nova-lite-v1:0', operation: 'converse', body: {} },
    } as unknown as DeferredCall;
    return { call, bytes: opts.bytes ?? 100, latestSendAt: opts.latestSendAt ?? submittedAt + 12 * HOUR };
  });
}

const ids = (calls: readonly PendingCall[]) => calls.map((p) => p.call.id);

describe(decideGroup, () => {
  it('keeps waiting while the group is below the minimum and nothing is due', () => {
    expect(decideGroup(pending(2), T0 + 2 * HOUR, LIMITS)).toEqual({ jobs: [], onDemand: [] });
  });

  it('sends full jobs at once, and keeps the rest waiting', () => {
    const decision = decideGroup(pending(12), T0, LIMITS);
    expect(decision.jobs.map(ids)).toEqual([
      ['c000', 'c001', 'c002', 'c003', 'c004'],
      ['c005', 'c006', 'c007', 'c008', 'c009'],
    ]);
    expect(decision.onDemand).toEqual([]);
  });

  it('sends a job full by its input size once it has the minimum records', () => {
    expect(decideGroup(pending(4, { bytes: 3_000 }), T0, LIMITS).jobs.map(ids)).toEqual([['c000', 'c001', 'c002']]);
    expect(decideGroup(pending(4, { bytes: 6_000 }), T0, LIMITS).jobs).toEqual([]);
  });

  it('sends what has the minimum once the oldest call has waited maxWaitMs, not before', () => {
    expect(decideGroup(pending(3), T0 + HOUR - 1, LIMITS).jobs).toEqual([]);
    expect(decideGroup(pending(3), T0 + HOUR, LIMITS).jobs.map(ids)).toEqual([['c000', 'c001', 'c002']]);
  });

  it('sends a group with the minimum when a call reaches its latest send time', () => {
    const calls = [...pending(2), ...pending(1, { latestSendAt: T0 + 30 * 60_000 })];
    expect(decideGroup(calls, T0 + 30 * 60_000, LIMITS).jobs.map((j) => j.length)).toEqual([3]);
  });

  it('answers on demand the calls whose latest send time came in a group below the minimum, the others wait', () => {
    const calls = [...pending(1), ...pending(1, { latestSendAt: T0 + HOUR / 2 })];
    const decision = decideGroup(calls, T0 + HOUR / 2, LIMITS);
    expect(decision.jobs).toEqual([]);
    expect(decision.onDemand.map((d) => d.reason)).toEqual(['below-minimum-records']);
    expect(decision.onDemand[0]!.pending.latestSendAt).toBe(T0 + HOUR / 2);
  });

  it('answers on demand at once a call no job could finish by its deadline', () => {
    const decision = decideGroup([...pending(1, { latestSendAt: T0 - 1 }), ...pending(4)], T0, LIMITS);
    expect(decision.onDemand.map((d) => d.reason)).toEqual(['deadline']);
    expect(decision.jobs).toEqual([]);
  });

  it('answers on demand a record larger than a whole input file', () => {
    expect(decideGroup(pending(1, { bytes: 20_000 }), T0, LIMITS).onDemand.map((d) => d.reason)).toEqual([
      'record-too-large',
    ]);
  });
});

describe(groupKeyOf, () => {
  it('separates regions, models and Converse from InvokeModel bodies', () => {
    const call = (region: string, modelId: string, operation: string) =>
      ({ request: { region, modelId, operation } }) as unknown as DeferredCall;
    const keys = new Set(
      [
        call('us-east-1', 'm', 'converse'),
        call('us-west-2', 'm', 'converse'),
        call('us-east-1', 'n', 'converse'),
        call('us-east-1', 'm', 'invoke'),
      ].map(groupKeyOf),
    );
    expect(keys.size).toBe(4);
  });
});
