import { InMemoryPrefixHistory } from '@nova-cost/domain';
import type { TestRedis } from '@nova-cost/testing';
import { startTestRedis } from '@nova-cost/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failOpenRedisOptions } from './redis-connection';
import { RedisPrefixHistory } from './redis-prefix-history';
import { prefixHistoryContract } from './testing/prefix-history.contract';

describe('RedisPrefixHistory', () => {
  let redis: TestRedis;
  const histories: RedisPrefixHistory[] = [];
  let tenants = 0;
  /** The production constructor's fail-open client, once it answers. */
  const open = async () => {
    const client = new Redis(redis.url, failOpenRedisOptions({ commandTimeoutMs: 2000 }));
    client.on('error', () => undefined);
    await client.connect();
    const history = new RedisPrefixHistory(client, true);
    histories.push(history);
    return history;
  };
  beforeAll(async () => {
    redis = await startTestRedis();
  });
  afterAll(async () => {
    await Promise.all(histories.map((h) => h.close()));
    await redis?.close();
  });

  prefixHistoryContract(async () => ({ history: await open(), tenant: `tenant-${++tenants}` }));

  it('is shared: what one gateway task saw, another knows', async () => {
    const a = await open();
    const b = await open();
    const system = { kind: 'system' as const, fingerprint: 'shared', occurrence: true, recurrence: true };
    await a.observe('fleet', [system], 1_000);
    await a.placed('fleet', [{ fingerprint: 'shared', untilMs: 301_000, ttl: '5m' }]);
    const seen = await b.observe('fleet', [system], 61_000);
    expect(seen.records).toEqual([{ lastSeenMs: 1_000, cachedUntilMs: 301_000, cachedTtl: '5m' }]);
    // The same arithmetic as the in-memory history.
    const memory = new InMemoryPrefixHistory();
    await memory.observe('fleet', [system], 1_000);
    expect(seen.recurrence).toEqual((await memory.observe('fleet', [system], 61_000)).recurrence);
  });
});
