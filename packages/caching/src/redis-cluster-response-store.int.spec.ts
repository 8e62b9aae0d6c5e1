import type { TestRedisCluster } from '@nova-cost/testing';
import { startTestRedisCluster } from '@nova-cost/testing';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failOpenRedisOptions } from './redis-connection';
import { RedisResponseStore } from './redis-response-store';
import { lockKeyOf } from './response-store.port';
import { cachingInvokerContract, connected } from './testing/caching-invoker.contract';

async function readyCluster(cluster: TestRedisCluster, commandTimeoutMs = 200): Promise<Cluster> {
  const { lazyConnect, enableOfflineQueue, ...redisOptions } = failOpenRedisOptions({ commandTimeoutMs });
  const client = new Cluster([...cluster.nodes], {
    lazyConnect,
    enableOfflineQueue,
    redisOptions,
    clusterRetryStrategy: () => 100,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/**
 * `client`, with `step` run once just before the `at`-th command (0-based) sent through get, set, eval or the lock
 * script: another process's move slipped between two commands of one store call, at a chosen point, not by chance.
 */
function interleaved(client: Cluster, at: number, step: () => Promise<void>): Cluster {
  let sent = 0;
  return new Proxy(client, {
    get(target, name) {
      const value: unknown = Reflect.get(target, name, target);
      if (typeof value !== 'function') return value;
      const method = (value as (...args: unknown[]) => unknown).bind(target);
      if (name !== 'get' && name !== 'set' && name !== 'eval' && name !== 'ncTryLock') return method;
      return async (...args: unknown[]) => {
        if (sent++ === at) await step();
        return method(...args);
      };
    },
  });
}

async function forEachMaster(
  cluster: TestRedisCluster,
  action: 'stop' | 'restart' | 'pause' | 'resume',
): Promise<void> {
  await Promise.all(cluster.masters.map((m) => m[action]()));
}

describe('CachingInvoker over RedisResponseStore (three-master cluster)', () => {
  let cluster: TestRedisCluster;
  let raw: Cluster;
  beforeAll(async () => {
    cluster = await startTestRedisCluster();
    raw = await readyCluster(cluster);
  });
  afterAll(async () => {
    raw?.disconnect();
    await cluster?.close();
  });

  cachingInvokerContract(() => ({
    // The production constructor, on its own fail-open cluster client, once the cluster answers.
    newStore: (connect = { commandTimeoutMs: 200 }) =>
      connected(RedisResponseStore.fromCluster(cluster.nodes, connect)),
    rawGet: (key) => raw.get(key),
    rawSet: async (key, value) => void (await raw.set(key, value)),
    stop: () => forEachMaster(cluster, 'stop'),
    restart: () => forEachMaster(cluster, 'restart'),
    pause: () => forEachMaster(cluster, 'pause'),
    resume: () => forEachMaster(cluster, 'resume'),
  }));

  describe("RedisResponseStore, the lock in the entry's slot (lockKeyOf)", () => {
    it('reads or locks, and stores and unlocks, each in one command', async () => {
      const key = `nc:test:one-slot:${Math.random()}`;
      const lockKey = lockKeyOf(key);
      const client = await readyCluster(cluster, 30_000);
      const sent: string[] = [];
      const counted = new Proxy(client, {
        get(target, name) {
          const value: unknown = Reflect.get(target, name, target);
          if (typeof value !== 'function') return value;
          const method = (value as (...args: unknown[]) => unknown).bind(target);
          return (...args: unknown[]) => {
            if (typeof name === 'string' && !['defineCommand', 'disconnect'].includes(name)) sent.push(name);
            return method(...args);
          };
        },
      });
      const store = new RedisResponseStore(counted);
      try {
        expect(await store.readOrLock(key, lockKey, 'caller', 5_000)).toEqual({ locked: true });
        expect(await raw.get(lockKey)).toBe('caller');
        await store.setAndUnlock(key, 'answer', 60, lockKey, 'caller');
        expect(await raw.get(lockKey)).toBeNull();
        expect(await store.readOrLock(key, lockKey, 'another', 5_000)).toEqual({ value: 'answer' });
        expect(await raw.get(lockKey)).toBeNull(); // nothing locked beside a stored answer
        expect(sent).toEqual(['ncReadOrLock', 'ncSetAndUnlock', 'ncReadOrLock']);
      } finally {
        client.disconnect();
      }
    });
  });

  describe('RedisResponseStore.readOrLock', () => {
    // A lock key not in the entry's slot (not lockKeyOf's): the entry and its lock sit in different slots, so
    // readOrLock is two commands; the holder (storing its answer,
    // then freeing its lock, as setAndUnlock does on a Cluster) may finish between them. Read first, then lock, the
    // caller saw no answer and took the freed lock: a second upstream call (2 calls for 1 under load, 37 rounds of
    // 150 with four busy loops on two cores).
    it.each([0, 1, 2])(
      'never leaves this caller holding the lock of a stored answer, the holder finishing before command %i',
      async (at) => {
        const key = `nc:test:read-or-lock:${at}:${Math.random()}`;
        const lockKey = `${key}:lock`;
        // Clients with a backstop far beyond a loaded machine's delays: this spec is about order, not time.
        const holder = await readyCluster(cluster, 30_000);
        const client = await readyCluster(cluster, 30_000);
        await holder.set(lockKey, 'holder');
        const holderFinishes = async () => {
          await holder.set(key, 'answer');
          await holder.del(lockKey);
        };
        const store = new RedisResponseStore(interleaved(client, at, holderFinishes));
        try {
          const first = await store.readOrLock(key, lockKey, 'caller', 5_000);
          expect(first).not.toEqual({ locked: true });
          // Told the lock is held, the caller polls again: the answer is there.
          const answered =
            'value' in first && first.value !== undefined
              ? first
              : await store.readOrLock(key, lockKey, 'caller', 5_000);
          expect(answered).toEqual({ value: 'answer' });
          expect(await holder.get(lockKey)).toBeNull(); // a lock taken on the way was freed
        } finally {
          client.disconnect();
          holder.disconnect();
        }
      },
    );
  });
});
