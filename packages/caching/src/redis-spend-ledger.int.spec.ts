import type { TestRedis, TestRedisCluster } from '@nova-cost/testing';
import { startTestRedis, startTestRedisCluster } from '@nova-cost/testing';
import { NovaCostError } from '@nova-cost/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { InvokeModel, RuleBasedCostPolicy, StaticPricingCatalog } from '@nova-cost/domain';
import { CachingInvoker } from './caching-invoker';
import { failOpenRedis } from './redis-connection';
import { RedisResponseStore } from './redis-response-store';
import { connected } from './testing/caching-invoker.contract';
import { cacheableRequest, CountingInvoker } from './testing/counting-invoker';
import type { RedisSpendLedgerOptions, SpendLoss } from './redis-spend-ledger';
import { RedisSpendLedger } from './redis-spend-ledger';
import { spendEntry, spendLedgerContract } from './testing/spend-ledger.contract';

let prefixes = 0;
const nextPrefix = () => `nc:spend:test${++prefixes}:${process.pid}`;

/** Resolves once the ledger answers a query (its connection opens in the background). */
async function ready(ledger: RedisSpendLedger): Promise<RedisSpendLedger> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await ledger.totals({ tenantId: 'probe' });
      return ledger;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe('RedisSpendLedger (single node)', () => {
  let redis: TestRedis;
  let admin: Redis;
  const ledgers: RedisSpendLedger[] = [];
  /** A ledger on its own connection, once that connection is up (so a breaker of threshold 1 does not open on it). */
  const open = async (options: RedisSpendLedgerOptions = {}) => {
    const client = failOpenRedis(redis.url, { commandTimeoutMs: 2000 });
    if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
    const ledger = new RedisSpendLedger(client, { prefix: nextPrefix(), timeoutMs: 500, ...options }, true);
    ledgers.push(ledger);
    return ledger;
  };
  /** EVAL calls Redis has run: every write, read and hold of a ledger is one. */
  const evals = async () => Number(/cmdstat_eval:calls=(\d+)/.exec((await admin.info('commandstats')) ?? '')?.[1] ?? 0);
  const keysOf = async (prefix: string) => (await admin.keys(`${prefix}:*`)).sort();
  beforeAll(async () => {
    redis = await startTestRedis({ controllable: true });
    admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    admin.on('error', () => undefined); // the server is stopped and restarted on purpose
  });
  afterAll(async () => {
    await Promise.all(ledgers.map((l) => l.close(100)));
    admin?.disconnect();
    await redis?.close();
  });

  spendLedgerContract(() => open());

  it("lets two processes with their own connections see each other's spend once written", async () => {
    const prefix = nextPrefix();
    const a = await open({ prefix });
    const b = await open({ prefix });
    await a.record(spendEntry({ costUsd: 1 }));
    await b.record(spendEntry({ costUsd: 2 }));
    await a.flush();
    expect((await b.totals({ tenantId: 'acme' })).total).toMatchObject({ calls: 2, costUsd: 3 });
  });

  it('sums float and whole-dollar costs in the same cell', async () => {
    const ledger = await open();
    await ledger.record(spendEntry({ costUsd: 1.5 }));
    await ledger.record(spendEntry({ costUsd: 2 }));
    await ledger.record(spendEntry({ costUsd: 1e-7 }));
    await ledger.flush();
    expect((await ledger.totals({ tenantId: 'acme' })).total.costUsd).toBeCloseTo(3.5000001, 12);
  });

  it("sends nothing while recording, writes each tenant's entries in one script, and keeps no key per entry", async () => {
    // EVAL counts are server-wide: the ledgers earlier specs opened flush on their own timers, so close them first.
    await Promise.all(ledgers.splice(0).map((l) => l.close(1_000)));
    const prefix = nextPrefix();
    const ledger = await open({ prefix, flushMs: 60_000 }); // only the explicit flushes below write
    const before = await evals();
    for (let n = 0; n < 1000; n++)
      await ledger.record(spendEntry({ costUsd: 0.001, savings: n % 2 ? [{ strategy: 'cache', usd: 0.001 }] : [] }));
    expect(await evals()).toBe(before);
    await ledger.flush();
    expect(await evals()).toBe(before + 1);
    // The day, the list of days, the running totals, and one applied-marker for the batch (not one per entry).
    expect(await keysOf(prefix)).toHaveLength(5);
    await ledger.flush(); // the next write deletes the marker of the batch Redis acknowledged
    expect((await keysOf(prefix)).filter((k) => k.includes(':applied:'))).toEqual([]);
    const reader = await open({ prefix });
    expect((await reader.totals({ tenantId: 'acme' }, 'strategy')).groups).toMatchObject([
      { key: 'cache', calls: 500 },
    ]);
    expect((await reader.totals({ tenantId: 'acme' })).total.calls).toBe(1000);
  });

  it("keeps no key per batch: after N batches at most the last one's applied-marker, which the next interval deletes once idle", async () => {
    const prefix = nextPrefix();
    const markers = async () => (await keysOf(prefix)).filter((k) => k.includes(':applied:'));
    const ledger = await open({ prefix, flushMs: 60_000 }); // only the explicit flushes below write
    for (let batch = 0; batch < 25; batch++) {
      for (let n = 0; n < 8; n++) await ledger.record(spendEntry({ costUsd: 0.001 }));
      await ledger.flush();
      // The script that applies a batch deletes the marker of the one before: one marker, whatever the count.
      expect(await markers()).toHaveLength(1);
      expect(await keysOf(prefix)).toHaveLength(5); // tenants, days, totals, the day, the marker
    }
    await ledger.flush(); // nothing recorded since: it only deletes the last marker
    expect(await keysOf(prefix)).toHaveLength(4);
    expect((await ledger.totals({ tenantId: 'acme' })).total.calls).toBe(200);

    // On its own timer too: a burst of batches leaves no marker once the ledger is idle for an interval.
    const timed = await open({ prefix, flushMs: 20 });
    for (let n = 0; n < 200; n++) {
      await timed.record(spendEntry({ costUsd: 0.001 }));
      if (n % 40 === 0) await new Promise((r) => setImmediate(r));
    }
    await expect.poll(() => timed.pendingEntries, { timeout: 5_000 }).toBe(0);
    await expect.poll(markers, { timeout: 5_000 }).toEqual([]);
    expect(await keysOf(prefix)).toHaveLength(4);
    expect((await timed.totals({ tenantId: 'acme' })).total.calls).toBe(400);
  });

  it('counts a batch whose write timed out once in totals, whether or not Redis applied it', async () => {
    const prefix = nextPrefix();
    const ledger = await open({ prefix, flushMs: 60_000, timeoutMs: 100 });
    await ledger.record(spendEntry({ costUsd: 2 }));
    await redis.pause();
    try {
      await ledger.flush(); // Redis gets the script but answers after the timeout: it may or may not be applied
    } finally {
      await redis.resume();
    }
    expect(ledger.pendingEntries).toBe(1);
    expect((await ledger.totals({ tenantId: 'acme' })).total).toMatchObject({ calls: 1, costUsd: 2 });
    await ledger.close(5_000); // writes it again: a no-op, since it was applied
    expect(ledger.pendingEntries).toBe(0);
    const reader = await open({ prefix });
    expect((await reader.totals({ tenantId: 'acme' })).total).toMatchObject({ calls: 1, costUsd: 2 });
  });

  it('resumes writing on its own after a stall long enough to open the breaker', async () => {
    const ledger = await open({ flushMs: 20, timeoutMs: 100, breaker: { failureThreshold: 1, openMs: 300 } });
    await ledger.record(spendEntry({ costUsd: 1 }));
    await redis.pause();
    try {
      await ledger.flush(); // times out: the breaker opens while entries are held
      await ledger.record(spendEntry({ costUsd: 2 }));
      await ledger.flush(); // refused by the open breaker, at once
      expect(ledger.pendingEntries).toBe(2);
    } finally {
      await redis.resume();
    }
    await ledger.record(spendEntry({ costUsd: 4 }));
    await expect.poll(() => ledger.pendingEntries, { timeout: 10_000 }).toBe(0);
    expect((await ledger.totals({ tenantId: 'acme' })).total).toMatchObject({ calls: 3, costUsd: 7 });
  });

  it('never waits for Redis to record, even a stalled one; queries fail at once while the breaker is open', async () => {
    const ledger = await open({ flushMs: 60_000, timeoutMs: 100, breaker: { failureThreshold: 1, openMs: 60_000 } });
    await redis.pause();
    try {
      const recorded = Array.from({ length: 10 }, () => ledger.record(spendEntry({ costUsd: 1 })));
      await Promise.all(recorded); // resolved although Redis answers nothing
      await ledger.flush(); // times out: opens the breaker

      await expect(ledger.totals({ tenantId: 'acme' })).rejects.toSatisfy((e) =>
        NovaCostError.is(e, 'upstream-unavailable'),
      );
      expect(ledger.pendingEntries).toBe(10);
    } finally {
      await redis.resume();
    }
  });

  it('holds at most maxPendingCells totals while Redis is down: an entry needing one more is dropped and reported', async () => {
    const losses: SpendLoss[] = [];
    const ledger = await open({ maxPendingCells: 2, flushMs: 60_000, onLoss: (loss) => losses.push(loss) });
    await redis.stop();
    try {
      for (const costUsd of [1, 2]) await ledger.record(spendEntry({ costUsd })); // one cell
      await ledger.record(spendEntry({ costUsd: 3, modelId: 'amazon.nova-micro-v1:0' })); // a second
      await ledger.record(spendEntry({ costUsd: 5, modelId: 'amazon.nova-pro-v1:0' })); // a third: dropped
      expect(ledger.pendingEntries).toBe(3);
      expect(losses).toEqual([{ entries: 1, costUsd: 5, reason: 'hold-full' }]);
    } finally {
      await redis.restart();
    }
  });

  it('holds entries while Redis is down and writes them once it is back; queries fail with upstream-unavailable meanwhile', async () => {
    const ledger = await open({ flushMs: 100 });
    await redis.stop();
    try {
      await ledger.record(spendEntry({ costUsd: 2 }));
      await ledger.record(spendEntry({ costUsd: 4 }));
      await expect(ledger.totals({ tenantId: 'acme' })).rejects.toSatisfy((e) =>
        NovaCostError.is(e, 'upstream-unavailable'),
      );
      expect(ledger.pendingEntries).toBe(2);
    } finally {
      await redis.restart();
    }
    await expect.poll(() => ledger.pendingEntries, { timeout: 15_000 }).toBe(0);
    expect((await ledger.totals({ tenantId: 'acme' })).total).toMatchObject({ calls: 2, costUsd: 6 });
  });

  it('reports at close, with their count and cost, the entries it could not write', async () => {
    const losses: SpendLoss[] = [];
    const ledger = await open({ flushMs: 60_000, timeoutMs: 100, onLoss: (loss) => losses.push(loss) });
    await redis.stop();
    try {
      for (const costUsd of [1, 2, 4]) await ledger.record(spendEntry({ costUsd }));
      await ledger.close(300);
      expect(losses).toEqual([{ entries: 3, costUsd: 7, reason: 'shutdown' }]);
      await ledger.record(spendEntry({ costUsd: 8 }));
      expect(losses.at(-1)).toEqual({ entries: 1, costUsd: 8, reason: 'closed' });
      expect(ledger.lost).toEqual({ entries: 4, costUsd: 15 });
    } finally {
      await redis.restart();
    }
  });

  it('lets a cache hit through InvokeModel cost one command sent to Redis, its lookup: the entry waits for the next write, and a hit takes no budget hold', async () => {
    const prefix = nextPrefix();
    const ledger = await open({ prefix, flushMs: 60_000 });
    const store = new RedisResponseStore(failOpenRedis(redis.url), true);
    await connected(store);
    const pricing = new StaticPricingCatalog();
    const policy = new RuleBasedCostPolicy(
      { budgets: { default: { dailyUsd: 10 } } },
      { pricing, ledger, sharedBudget: ledger },
    );
    // No copy in process (hotMaxBytes 0): a hit then asks Redis, once (with one it asks nothing).
    const useCase = new InvokeModel({
      policy,
      invoker: new CachingInvoker(new CountingInvoker(), store, { storeTimeoutMs: 500, hotMaxBytes: 0 }),
      pricing,
      ledger,
      admission: 'invoker',
    });
    const { cache: _, ...request } = cacheableRequest();
    expect((await useCase.execute(request)).result.cache).toBe('miss');
    // The miss stores its answer once its caller has it, freeing the fetch lock in the same script: landed once no
    // lock is left.
    await expect.poll(async () => (await admin.keys('{nc:*}:lock')).length).toBe(0);
    await ledger.flush();
    // Commands sent to Redis (not those its scripts ran inside it, source 'lua'), between two markers.
    const monitor = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    const feed = await monitor.monitor();
    const sent: string[] = [];
    feed.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua') sent.push(args[0]!.toLowerCase());
    });
    try {
      await admin.echo('before');
      await expect.poll(() => sent.includes('echo')).toBe(true);
      sent.length = 0;
      expect((await useCase.execute(request)).result.cache).toBe('hit');
      await admin.echo('after');
      await expect.poll(() => sent.at(-1)).toBe('echo');
      expect(sent.slice(0, -1)).toEqual(['evalsha']); // the read (a read that would lock on a miss), no hold
    } finally {
      feed.disconnect();
      monitor.disconnect();
    }
    await ledger.flush();
    expect((await ledger.totals({ tenantId: 'acme' })).total).toMatchObject({ calls: 2, savedUsd: expect.any(Number) });
    await store.close();
  });

  describe('shared budget holds', () => {
    const day = new Date('2026-11-28T00:00:00Z');
    const month = new Date('2026-11-01T00:00:00Z');
    const limits = (dailyUsd: number) => [
      { period: 'daily' as const, start: day, limitUsd: dailyUsd },
      { period: 'monthly' as const, start: month, limitUsd: 100 },
    ];

    it('holds within a limit across processes, and refuses a hold the recorded spend and the other holds leave no room for', async () => {
      const prefix = nextPrefix();
      const a = await open({ prefix });
      const b = await open({ prefix });
      const first = await a.hold('acme', 0.6, limits(1));
      expect(first.held).toBe(true);
      expect(await b.hold('acme', 0.6, limits(1))).toEqual({ held: false, period: 'daily', spentUsd: 0, heldUsd: 0.6 });
      // A's call cost 0.5: the write of its entry replaces the hold with the spend, in one step.
      await a.record(spendEntry({ costUsd: 0.5, holdId: (first as { holdId: string }).holdId }));
      await a.flush();
      expect(await b.hold('acme', 0.6, limits(1))).toEqual({ held: false, period: 'daily', spentUsd: 0.5, heldUsd: 0 });
      expect((await b.hold('acme', 0.5, limits(1))).held).toBe(true);
    });

    it('waits holdTimeoutMs, longer than other calls, for a stalled Redis to take a hold rather than failing open', async () => {
      const a = await open({ prefix: nextPrefix(), timeoutMs: 100, holdTimeoutMs: 60_000 });
      await redis.pause();
      try {
        const hold = a.hold('acme', 0.5, limits(1));
        // A query sent after it gives up after timeoutMs: the hold has waited at least as long, and waits on.
        await expect(a.totals({ tenantId: 'acme' })).rejects.toMatchObject({ kind: 'upstream-unavailable' });
        await redis.resume();
        expect((await hold).held).toBe(true);
      } finally {
        await redis.resume();
      }
    });

    it('drops a released hold with the next write', async () => {
      const prefix = nextPrefix();
      const a = await open({ prefix });
      const hold = await a.hold('acme', 0.9, limits(1));
      expect((await a.hold('acme', 0.9, limits(1))).held).toBe(false);
      a.release('acme', (hold as { holdId: string }).holdId);
      await a.flush();
      expect((await a.hold('acme', 0.9, limits(1))).held).toBe(true);
    });

    it('lets the holds of a process that died lapse after holdTtlMs', async () => {
      const prefix = nextPrefix();
      const crashed = await open({ prefix, holdTtlMs: 300 });
      expect((await crashed.hold('acme', 0.9, limits(1))).held).toBe(true);
      const survivor = await open({ prefix });
      expect((await survivor.hold('acme', 0.9, limits(1))).held).toBe(false);
      await expect
        .poll(async () => (await survivor.hold('acme', 0.9, limits(1))).held, { timeout: 10_000, interval: 100 })
        .toBe(true);
    });
  });
});

describe('RedisSpendLedger (three-master cluster)', () => {
  let cluster: TestRedisCluster;
  const ledgers: RedisSpendLedger[] = [];
  beforeAll(async () => {
    cluster = await startTestRedisCluster();
  });
  afterAll(async () => {
    await Promise.all(ledgers.map((l) => l.close(100)));
    await cluster?.close();
  });

  const open = async (prefix = nextPrefix()) => {
    const ledger = await ready(RedisSpendLedger.fromCluster(cluster.nodes, { prefix, timeoutMs: 500 }));
    ledgers.push(ledger);
    return ledger;
  };

  spendLedgerContract(() => open());

  it('keeps the budget holds of tenants on different nodes, each settled by the write of its entry', async () => {
    const prefix = nextPrefix();
    const [a, b] = [await open(prefix), await open(prefix)];
    const limits = [{ period: 'daily' as const, start: new Date('2026-11-28T00:00:00Z'), limitUsd: 1 }];
    const tenants = ['acme', 'globex', 'initech', 'umbrella'];
    const holds = await Promise.all(tenants.map((t) => a.hold(t, 0.75, limits)));
    expect(holds.every((h) => h.held)).toBe(true);
    expect(await Promise.all(tenants.map(async (t) => (await b.hold(t, 0.5, limits)).held))).toEqual([
      false,
      false,
      false,
      false,
    ]);
    for (const [i, tenantId] of tenants.entries())
      await a.record(spendEntry({ tenantId, costUsd: 0.25, holdId: (holds[i] as { holdId: string }).holdId }));
    await a.flush();
    expect(await Promise.all(tenants.map(async (t) => (await b.hold(t, 0.75, limits)).held))).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });
});
