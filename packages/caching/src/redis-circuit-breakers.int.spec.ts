import type { TestRedis } from '@nova-cost/testing';
import { startTestRedis } from '@nova-cost/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failOpenRedisOptions } from './redis-connection';
import type { RedisCircuitBreakersOptions } from './redis-circuit-breakers';
import { RedisCircuitBreakers } from './redis-circuit-breakers';
import { CONTRACT_CIRCUIT, circuitBreakersContract } from './testing/circuit-breakers.contract';

describe('RedisCircuitBreakers', () => {
  let redis: TestRedis;
  const opened: RedisCircuitBreakers[] = [];
  let targets = 0;
  /** The production constructor's fail-open client, once it answers. */
  const open = async (options: RedisCircuitBreakersOptions = {}, commandTimeoutMs = 2000) => {
    const client = new Redis(redis.url, failOpenRedisOptions({ commandTimeoutMs }));
    client.on('error', () => undefined);
    await client.connect();
    const breakers = new RedisCircuitBreakers(client, CONTRACT_CIRCUIT, { owned: true, ...options });
    opened.push(breakers);
    return breakers;
  };
  beforeAll(async () => {
    redis = await startTestRedis({ controllable: true });
  });
  afterAll(async () => {
    await Promise.all(opened.map((b) => b.close()));
    await redis?.close();
  });

  circuitBreakersContract(async () => ({ breakers: await open(), target: `us-east-1|model-${++targets}` }));

  it('is shared: a circuit one gateway task opened, another skips, and only one task probes it', async () => {
    const a = await open();
    const b = await open();
    const target = 'us-east-1|shared.model';
    for (let i = 0; i < 3; i++) await a.failed(target, 1_000);
    expect(await b.check(target, 2_000)).toBe('open');
    const probes = await Promise.all([a.check(target, 11_000), b.check(target, 11_000)]);
    expect(probes.sort()).toEqual(['open', 'probe']);
  });

  it("never waits for a stalled Redis: a check past its budget says 'closed', then the guard's breaker answers at once", async () => {
    // The client would wait 10 minutes for an answer: any answer while Redis is stopped is the guard's.
    let errors = 0;
    const breakers = await open(
      { timeoutMs: 50, breaker: { failureThreshold: 1, openMs: 600_000 }, onError: () => (errors += 1) },
      600_000,
    );
    const target = 'us-east-1|stalled.model';
    for (let i = 0; i < 3; i++) await breakers.failed(target, 1_000);
    expect(await breakers.check(target, 2_000)).toBe('open');
    await redis.pause();
    try {
      expect(await breakers.check(target, 2_000)).toBe('closed'); // fails open past its budget
      expect(breakers.storeCircuit).toBe('open');
      expect(await breakers.check(target, 2_000)).toBe('closed'); // refused by the open breaker
      await breakers.failed(target, 2_000); // likewise: dropped, not queued behind the stall
      expect(errors).toBe(3);
    } finally {
      await redis.resume();
    }
  });

  it('refuses settings that cannot work', () => {
    expect(() => RedisCircuitBreakers.fromUrl(redis.url, { failureThreshold: 0 })).toThrow(/failureThreshold/);
  });
});
