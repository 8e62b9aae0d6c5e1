import type { TestRedis, TestRedisCluster } from '@nova-cost/testing';
import { startTestRedis, startTestRedisCluster } from '@nova-cost/testing';
import { NovaCostError } from '@nova-cost/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  const ledgers: RedisSpendLedger[] = [];
  const open = async (options = {}) => {
    const ledger = await ready(RedisSpendLedger.fromUrl(redis.url, { prefix: nextPrefix(), commandTimeoutMs: 500, ...options }));
    ledgers.push(ledger);
    return ledger;
  };
  beforeAll(async () => {
    redis = await startTestRedis({ controllable: true });
  });
  afterAll(async () => {
    await Promise.all(ledgers.map((l) => l.close(100)));
    await redis?.close();
  });

  spendLedgerContract(() => open());

  it('lets two processes with their own connections see each other\'s spend', async () => {
    const prefix = nextPrefix();
    const a = await open({ prefix });
    const b = await open({ prefix });
    await a.record(spendEntry({ costUsd: 1 }));
    await b.record(spendEntry({ costUsd: 2 }));
    expect((await b.totals({ tenantId: 'acme' })).total).toMatchObject({ calls: 2, costUsd: 3 });
  });

  it('sums float and whole-dollar costs in the same cell', async () => {
    const ledger = await open();
    await ledger.record(spendEntry({ costUsd: 1.5 }));
    await ledger.record(spendEntry({ costUsd: 2 }));
    await ledger.record(spendEntry({ costUsd: 1e-7 }));
    expect((await ledger.totals({ tenantId: 'acme' })).total.costUsd).toBeCloseTo(3.5000001, 12);
  });

  it('counts held entries in totals once Redis answers, before they are written, and never twice', async () => {
    const prefix = nextPrefix();
    const ledger = await open({ prefix, retryMs: 60_000 }); // no retry during the test: the entries stay held
    await redis.pause();
    try {
      await ledger.record(spendEntry({ costUsd: 2 })); // times out: held (it may or may not have been applied)
    } finally {
      await redis.resume();
    }
    expect(ledger.pendingEntries).toBe(1);
    expect((await ledger.totals({ tenantId: 'acme' })).total).toMatchObject({ calls: 1, costUsd: 2 });
    await ledger.close(5_000); // writes what is held: a no-op for an entry already applied
    expect(ledger.pendingEntries).toBe(0);
    const reader = await open({ prefix });
    expect((await reader.totals({ tenantId: 'acme' })).total).toMatchObject({ calls: 1, costUsd: 2 });
  });

  it('applies an entry once even when its write is retried after the answer was lost', async () => {
    const prefix = nextPrefix();
    const ledger = await open({ prefix, retryMs: 100 });
    await redis.pause();
    const recorded = ledger.record(spendEntry({ costUsd: 5 })); // Redis gets the script but answers after the timeout
    await new Promise((r) => setTimeout(r, 700));
    await redis.resume();
    await recorded;
    await expect.poll(() => ledger.pendingEntries, { timeout: 10_000 }).toBe(0);
    const reader = await open({ prefix });
    expect((await reader.totals({ tenantId: 'acme' })).total).toMatchObject({ calls: 1, costUsd: 5 });
  });

  it('stops waiting for a stalled Redis once the breaker opens: later entries are held at once', async () => {
    const ledger = await open({ retryMs: 60_000, commandTimeoutMs: 100, breaker: { failureThreshold: 2, openMs: 60_000 } });
    await redis.pause();
    try {
      for (let n = 0; n < 2; n++) await ledger.record(spendEntry({ costUsd: 1 })); // each waits out its timeout
      const started = performance.now();
      for (let n = 0; n < 10; n++) await ledger.record(spendEntry({ costUsd: 1 }));
      expect(performance.now() - started).toBeLessThan(100); // none of them waited for Redis
      expect(ledger.pendingEntries).toBe(12);
      await expect(ledger.totals({ tenantId: 'acme' })).rejects.toSatisfy((e) => NovaCostError.is(e, 'upstream-unavailable'));
    } finally {
      await redis.resume();
    }
  });

  it('keeps at most maxPending entries while Redis is down, dropping the oldest and counting them', async () => {
    const ledger = await open({ maxPending: 2, retryMs: 60_000 });
    await redis.stop();
    try {
      for (const costUsd of [1, 2, 3]) await ledger.record(spendEntry({ costUsd }));
      expect(ledger.pendingEntries).toBe(2);
      expect(ledger.dropped).toBe(1);
    } finally {
      await redis.restart();
    }
  }, 30_000);

  it('holds entries while Redis is down and writes them once it is back; queries fail with upstream-unavailable meanwhile', async () => {
    const ledger = await open({ retryMs: 100 });
    await redis.stop();
    try {
      await ledger.record(spendEntry({ costUsd: 2 }));
      await ledger.record(spendEntry({ costUsd: 4 }));
      expect(ledger.pendingEntries).toBe(2);
      await expect(ledger.totals({ tenantId: 'acme' })).rejects.toSatisfy((e) => NovaCostError.is(e, 'upstream-unavailable'));
    } finally {
      await redis.restart();
    }
    await expect.poll(() => ledger.pendingEntries, { timeout: 15_000 }).toBe(0);
    expect((await ledger.totals({ tenantId: 'acme' })).total).toMatchObject({ calls: 2, costUsd: 6 });
  }, 30_000);
});

describe('RedisSpendLedger (three-master cluster)', () => {
  let cluster: TestRedisCluster;
  const ledgers: RedisSpendLedger[] = [];
  beforeAll(async () => {
    cluster = await startTestRedisCluster();
  }, 30_000);
  afterAll(async () => {
    await Promise.all(ledgers.map((l) => l.close(100)));
    await cluster?.close();
  });

  spendLedgerContract(async () => {
    const ledger = await ready(RedisSpendLedger.fromCluster(cluster.nodes, { prefix: nextPrefix(), commandTimeoutMs: 500 }));
    ledgers.push(ledger);
    return ledger;
  });
});
