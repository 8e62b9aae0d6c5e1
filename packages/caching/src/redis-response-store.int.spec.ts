import type { TestRedis } from '@nova-cost/testing';
import { freePort, startTestRedis } from '@nova-cost/testing';
import { requestKey } from '@nova-cost/domain';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachingInvoker } from './caching-invoker';
import { failOpenRedisOptions } from './redis-connection';
import { RedisResponseStore } from './redis-response-store';
import { lockKeyOf } from './response-store.port';
import { cachingInvokerContract, connected } from './testing/caching-invoker.contract';
import { cacheableRequest, CountingInvoker } from './testing/counting-invoker';

async function readyClient(url: string): Promise<Redis> {
  const client = new Redis(url, { ...failOpenRedisOptions({ commandTimeoutMs: 200 }) });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

describe('CachingInvoker over RedisResponseStore (single node)', () => {
  let redis: TestRedis;
  let raw: Redis;
  beforeAll(async () => {
    redis = await startTestRedis({ controllable: true });
    raw = await readyClient(redis.url);
  });
  afterAll(async () => {
    raw?.disconnect();
    await redis?.close();
  });

  cachingInvokerContract(() => ({
    // The production constructor, on its own fail-open connection, once it answers.
    newStore: (connect = { commandTimeoutMs: 200 }) => connected(RedisResponseStore.fromUrl(redis.url, connect)),
    rawGet: (key) => raw.get(key),
    rawSet: async (key, value) => void (await raw.set(key, value)),
    stop: () => redis.stop(),
    restart: () => redis.restart(),
    pause: () => redis.pause(),
    resume: () => redis.resume(),
  }));
});

describe(RedisResponseStore, () => {
  describe('.fromUrl', () => {
    it('starts without a Redis and neither fails nor hangs: requests go upstream', async () => {
      const store = RedisResponseStore.fromUrl(`redis://127.0.0.1:${await freePort()}`);
      const next = new CountingInvoker(5);
      const cache = new CachingInvoker(next, store);
      const request = cacheableRequest();
      const results = await Promise.all([cache.invoke(request), cache.invoke(cacheableRequest())]);
      expect(results.map((r) => r.cache)).toEqual(['miss', 'miss']);
      expect(cache.stats().errors).toBeGreaterThan(0);
      await cache.close();
    });

    it('rejects a URL that is not redis:// or rediss://', () => {
      expect(() => RedisResponseStore.fromUrl('http://127.0.0.1:6379')).toThrow(
        /must be redis:\/\/ or rediss:\/\/, got http:\/\/…/,
      );
    });
  });

  describe('on a cache miss', () => {
    it('asks Redis once before the upstream call (a read that takes the lock when nothing is stored) and once after it (the answer stored and the lock freed together)', async () => {
      const redis = await startTestRedis({ controllable: true });
      const monitor = await readyClient(redis.url);
      const store = await connected(RedisResponseStore.fromUrl(redis.url, { commandTimeoutMs: 1_000 }));
      const cache = new CachingInvoker(new CountingInvoker(5), store, { storeTimeoutMs: 1_000, hotMaxBytes: 0 });
      try {
        expect((await cache.invoke(cacheableRequest())).cache).toBe('miss'); // the scripts loaded once
        const sent: string[] = [];
        const feed = await monitor.monitor();
        // Commands the store's client sent, not those its scripts ran inside Redis (source 'lua').
        feed.on('monitor', (_time: string, args: string[], source: string) => {
          if (source !== 'lua') sent.push(args[0]!.toLowerCase());
        });
        await store.readOrLock('before', 'before:lock', 'marker', 1_000); // seen once the feed is live
        await expect.poll(() => sent.length).toBeGreaterThan(0);
        sent.length = 0;
        expect((await cache.invoke(cacheableRequest())).cache).toBe('miss');
        // The write is sent once the caller has its answer, before this marker on the same connection.
        await store.get('after');
        await expect.poll(() => sent.at(-1)).toBe('get');
        expect(sent.slice(0, -1)).toEqual(['evalsha', 'evalsha']);
        feed.disconnect();
      } finally {
        await cache.close();
        monitor.disconnect();
        await redis.close();
      }
    });
  });

  describe('when the answer to the lock claim is lost', () => {
    // Redis frozen (SIGSTOP) under the holder's read-or-lock and its retry: both run out of the store's budget, and the
    // holder calls upstream not knowing whether it holds the lock. Once Redis runs again it executes the queued claims,
    // so the lock exists with the holder's token: other gateways wait on it. Its TTL here (10 minutes) is what they
    // would wait unless the holder frees it by token (a no-op if its token does not hold it).
    async function holderWhoseClaimWasLost(script?: Record<string, boolean>) {
      const redis = await startTestRedis({ controllable: true });
      const raw = await readyClient(redis.url);
      // ioredis's own timeout far off: only the store budget (storeTimeoutMs) gives up on a command.
      const store = await connected(RedisResponseStore.fromUrl(redis.url, { commandTimeoutMs: 600_000 }));
      const next = new CountingInvoker(1);
      const cache = new CachingInvoker(next, store, {
        storeTimeoutMs: 50,
        hotMaxBytes: 0,
        lockTtlMs: 600_000,
        breaker: { failureThreshold: 1_000 },
      });
      try {
        await cache.invoke(cacheableRequest()); // the store's scripts loaded, so none is sent twice (NOSCRIPT) below
        const request = cacheableRequest(script ? { script } : {});
        const key = requestKey(request, request.region ?? 'us-east-1');
        await redis.pause();
        const answered = cache.invoke(request).then(
          (result) => result.cache,
          (error: Error) => error.message,
        );
        await next.whenCalled(2); // the claim and its retry got no answer in time: the holder went upstream
        await redis.resume();
        const outcome = await answered;
        await store.get('marker'); // answered after every command the holder sent before it, on the same connection
        return { outcome, calls: next.calls, lock: await raw.get(lockKeyOf(key)), entry: await raw.get(key) };
      } finally {
        await cache.close();
        raw.disconnect();
        await redis.close();
      }
    }

    it('frees the lock its token may hold once the upstream call failed, so other gateways take it at once', async () => {
      const seen = await holderWhoseClaimWasLost({ fail: true });
      expect(seen.outcome).toBe('scripted throttle');
      expect(seen.calls).toBe(2);
      expect(seen.entry).toBeNull();
      expect(seen.lock).toBeNull(); // before: the holder's lock, left to its TTL
    });

    it('stores the answer and frees the lock its token may hold in one step, so other gateways read it at once', async () => {
      const seen = await holderWhoseClaimWasLost();
      expect(seen.outcome).toBe('miss');
      expect(seen.calls).toBe(2);
      expect(seen.entry).not.toBeNull();
      expect(seen.lock).toBeNull(); // before: the holder's lock, left to its TTL
    });
  });

  describe('.fromCluster', () => {
    it('rejects an empty list of startup nodes', () => {
      expect(() => RedisResponseStore.fromCluster([])).toThrow(/at least one startup node/);
    });
  });

  describe('.close', () => {
    it('leaves a client that was passed in open', async () => {
      const redis = await startTestRedis({ controllable: true });
      const client = await readyClient(redis.url);
      await new RedisResponseStore(client).close();
      expect(await client.ping()).toBe('PONG');
      client.disconnect();
      await redis.close();
    });
  });
});
