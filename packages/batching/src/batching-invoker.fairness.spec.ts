import type { PlannedInvocation } from '@nova-cost/domain';
import { plannedCall } from '@nova-cost/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchingInvoker } from './batching-invoker';
import { ScriptedModelInvoker, flushMicrotasks } from './testing/scripted-model-invoker';

const ask = (tenantId: string, n: number): PlannedInvocation =>
  plannedCall({
    tenantId,
    modelId: 'amazon.nova-lite-v1:0',
    operation: 'converse',
    body: { messages: [{ role: 'user', content: [{ text: `${tenantId} question ${n}` }] }] },
  });

/** The tenants of the upstream calls, in the order they started. */
const callOrder = (upstream: ScriptedModelInvoker) => upstream.calls.map((c) => c.request.tenantId);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('BatchingInvoker fairness across tenants', () => {
  it("starts another tenant's request next, not after one tenant's whole backlog", async () => {
    const upstream = new ScriptedModelInvoker(() => ({ delayMs: 10 }));
    const batcher = new BatchingInvoker(upstream, { concurrency: 1 });
    const backlog = Array.from({ length: 50 }, (_, n) => batcher.invoke(ask('big', n)));
    const small = batcher.invoke(ask('small', 0));
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all([...backlog, small]);
    expect(callOrder(upstream).indexOf('small')).toBe(1);
  });

  it("shares the calls in proportion to the tenants' weights while both wait", async () => {
    const upstream = new ScriptedModelInvoker(() => ({ delayMs: 10 }));
    const batcher = new BatchingInvoker(upstream, { concurrency: 1, tenantWeight: (t) => (t === 'gold' ? 3 : 1) });
    const all = [
      ...Array.from({ length: 40 }, (_, n) => batcher.invoke(ask('bronze', n))),
      ...Array.from({ length: 40 }, (_, n) => batcher.invoke(ask('gold', n))),
    ];
    await vi.advanceTimersByTimeAsync(2_000);
    await Promise.all(all);
    // The first call started before gold arrived; of the next 40, gold had three in four (one either way: who
    // goes first at a tie).
    const gold = callOrder(upstream)
      .slice(1, 41)
      .filter((t) => t === 'gold').length;
    expect(gold).toBeGreaterThanOrEqual(29);
    expect(gold).toBeLessThanOrEqual(31);
  });

  it('refuses a tenant past its share of the queue with queue-full while others are still accepted', async () => {
    const upstream = new ScriptedModelInvoker(() => ({ delayMs: 1_000 }));
    const batcher = new BatchingInvoker(upstream, { concurrency: 1, maxQueueSize: 4, maxQueueSharePerTenant: 0.5 });
    const accepted = [batcher.invoke(ask('big', 0)), batcher.invoke(ask('big', 1)), batcher.invoke(ask('big', 2))];
    await flushMicrotasks();
    // One in flight, two waiting: the share of 2 is used up.
    await expect(batcher.invoke(ask('big', 3))).rejects.toMatchObject({
      kind: 'queue-full',
      details: { tenantLimit: 2 },
    });
    accepted.push(batcher.invoke(ask('small', 0)));
    await vi.advanceTimersByTimeAsync(5_000);
    await expect(Promise.all(accepted)).resolves.toHaveLength(4);
  });

  it('keeps interactive requests of any tenant ahead of deferrable ones', async () => {
    const upstream = new ScriptedModelInvoker(() => ({ delayMs: 10 }));
    const batcher = new BatchingInvoker(upstream, {
      concurrency: 1,
      lanes: { deferrable: { maxBatchSize: 1, maxWaitMs: 0 } },
    });
    const all = [
      ...Array.from({ length: 5 }, (_, n) => batcher.invoke({ ...ask('batchy', n), lane: 'deferrable' })),
      ...Array.from({ length: 3 }, (_, n) => batcher.invoke(ask('chatty', n))),
    ];
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all(all);
    expect(callOrder(upstream).slice(1, 4)).toEqual(['chatty', 'chatty', 'chatty']);
  });
});
