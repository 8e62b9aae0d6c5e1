import { NovaCostError } from '@nova-cost/domain';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestRedisCluster } from './test-redis-cluster';
import { startTestRedisCluster } from './test-redis-cluster';

describe(startTestRedisCluster, () => {
  describe('having three masters', () => {
    let cluster: TestRedisCluster;
    let client: Cluster;
    beforeAll(async () => {
      cluster = await startTestRedisCluster();
      client = new Cluster([...cluster.nodes], { redisOptions: { commandTimeout: 1000 } });
    });
    afterAll(async () => {
      client?.disconnect();
      await cluster?.close();
    });

    it('every node reports cluster_state:ok with three known nodes', async () => {
      expect(cluster.nodes).toHaveLength(3);
      for (const node of cluster.nodes) {
        const c = new Redis({ ...node, lazyConnect: true });
        await c.connect();
        const info = (await c.call('CLUSTER', 'INFO')) as string;
        c.disconnect();
        expect(info).toMatch(/cluster_state:ok/);
        expect(info).toMatch(/cluster_known_nodes:3\b/);
      }
    });

    it('an ioredis Cluster sets and gets keys spread over every master', async () => {
      const keys = Array.from({ length: 60 }, (_, i) => `key-${i}`);
      await Promise.all(keys.map((k) => client.set(k, `value-${k}`)));
      expect(await Promise.all(keys.map((k) => client.get(k)))).toEqual(keys.map((k) => `value-${k}`));
      const perMaster = await Promise.all(client.nodes('master').map((n) => n.dbsize()));
      expect(perMaster).toHaveLength(3);
      expect(perMaster.every((n) => n > 0)).toBe(true);
    });

    it('flush empties every master', async () => {
      await client.set('x', '1');
      await cluster.flush();
      const perMaster = await Promise.all(client.nodes('master').map((n) => n.dbsize()));
      expect(perMaster).toEqual([0, 0, 0]);
    });

    it('a killed master comes back on restart, serving its slots empty', async () => {
      const master = cluster.masters[0]!;
      await client.set('{a}k', '1');
      await master.stop();
      await master.restart();
      await expect.poll(async () => client.set('{a}k', '2').catch(() => 'down')).toBe('OK');
    }, 20_000);
  });

  it('rejects fewer than three masters', async () => {
    await expect(startTestRedisCluster({ masters: 2 })).rejects.toSatisfy(
      (e) => NovaCostError.is(e, 'validation') && /at least 3 masters, got masters: 2/.test((e as Error).message),
    );
  });
});
