import type { TestRedisCluster } from '@nova-cost/testing';
import { startTestRedisCluster } from '@nova-cost/testing';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe } from 'vitest';
import { failOpenRedisOptions } from './redis-connection';
import { RedisResponseStore } from './redis-response-store';
import { cachingInvokerContract, connected } from './testing/caching-invoker.contract';

async function readyCluster(cluster: TestRedisCluster): Promise<Cluster> {
  const { lazyConnect, enableOfflineQueue, ...redisOptions } = failOpenRedisOptions({ commandTimeoutMs: 200 });
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
    newStore: () => connected(RedisResponseStore.fromCluster(cluster.nodes, { commandTimeoutMs: 200 })),
    rawGet: (key) => raw.get(key),
    rawSet: async (key, value) => void (await raw.set(key, value)),
    stop: () => forEachMaster(cluster, 'stop'),
    restart: () => forEachMaster(cluster, 'restart'),
    pause: () => forEachMaster(cluster, 'pause'),
    resume: () => forEachMaster(cluster, 'resume'),
  }));
});
