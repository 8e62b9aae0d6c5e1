import { NovaCostError } from '@nova-cost/domain';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestRedis } from './test-redis';
import { startTestRedis } from './test-redis';

function client(redis: TestRedis): Redis {
  const c = new Redis(redis.url, { commandTimeout: 300, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
  c.on('error', () => undefined); // connection errors while the server is stopped are the point of the test
  return c;
}

describe(startTestRedis, () => {
  describe('having a redis-server binary and controllable: true', () => {
    let redis: TestRedis;
    let c: Redis;
    beforeAll(async () => {
      redis = await startTestRedis({ controllable: true, env: { REDIS_URL: 'redis://127.0.0.1:6379' } });
      c = client(redis);
    });
    afterAll(async () => {
      c.disconnect();
      await redis.close();
    });

    it('starts a process it owns, on a free port, that answers', async () => {
      expect(redis).toMatchObject({ kind: 'process', controllable: true, host: '127.0.0.1' });
      expect(redis.port).not.toBe(6379);
      await c.set('k', 'v');
      expect(await c.get('k')).toBe('v');
    });

    it('flush empties it', async () => {
      await c.set('k', 'v');
      await redis.flush();
      expect(await c.dbsize()).toBe(0);
    });

    it('pause makes commands time out, resume makes them answer again', async () => {
      await redis.pause();
      await expect(c.ping()).rejects.toThrow(/timed out/i);
      await redis.resume();
      await expect(c.ping()).resolves.toBe('PONG');
    });

    it('stop makes it unreachable; restart brings it back on the same port, empty', async () => {
      await c.set('k', 'v');
      const port = redis.port;
      await redis.stop();
      await expect(c.ping()).rejects.toThrow();
      await redis.restart();
      expect(redis.port).toBe(port);
      await expect.poll(() => c.ping().catch(() => 'down')).toBe('PONG');
      expect(await c.get('k')).toBeNull();
    });
  });

  describe('having REDIS_URL set', () => {
    it('uses that server and refuses to stop or pause it', async () => {
      const redis = await startTestRedis({ env: { REDIS_URL: 'redis://127.0.0.1:6379' } });
      expect(redis).toMatchObject({ kind: 'external', controllable: false, url: 'redis://127.0.0.1:6379', port: 6379 });
      await expect(redis.stop()).rejects.toSatisfy(
        (e) => NovaCostError.is(e, 'validation') && /controllable: true/.test((e as Error).message),
      );
      await expect(redis.pause()).rejects.toSatisfy((e) => NovaCostError.is(e, 'validation'));
      await redis.close();
    });

    it('rejects a URL that is not redis:// with the contract in the message', async () => {
      await expect(startTestRedis({ env: { REDIS_URL: 'http://127.0.0.1:6379' } })).rejects.toSatisfy(
        (e) => NovaCostError.is(e, 'configuration') && /must be redis:\/\/ or rediss:\/\//.test((e as Error).message),
      );
    });
  });

  describe('having no usable redis-server', () => {
    it('fails with a clear message that says how to get a Redis', async () => {
      const failure = startTestRedis({
        controllable: true,
        redisServerBinary: '/nonexistent/redis-server',
        allowContainer: false,
      });
      await expect(failure).rejects.toSatisfy((e) => NovaCostError.is(e, 'configuration'));
      await expect(failure).rejects.toThrow(
        /binary not found at '\/nonexistent\/redis-server'.*REDIS_URL.*REDIS_SERVER_BIN.*Docker/,
      );
    });
  });
});
