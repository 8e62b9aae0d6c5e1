import type { TestRedis } from '@nova-cost/testing';
import { startTestRedis } from '@nova-cost/testing';
import type { ModelStream, ModelStreamEvent } from '@nova-cost/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisResponseStore } from '../redis-response-store';
import type { ResponseStore } from '../response-store.port';
import { connected } from '../testing/caching-invoker.contract';
import { cacheableStreamRequest, ScriptedStreamer } from '../testing/scripted-streamer';
import { CachingStreamer } from './caching-streamer';

async function drain(stream: ModelStream): Promise<ModelStreamEvent[]> {
  const events: ModelStreamEvent[] = [];
  for await (const e of stream.events) events.push(e);
  return events;
}

describe('CachingStreamer across processes (two streamers over one Redis)', () => {
  let redis: TestRedis;
  const stores: ResponseStore[] = [];
  beforeAll(async () => {
    redis = await startTestRedis();
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    await redis?.close();
  });

  async function gateway(): Promise<{ upstream: ScriptedStreamer; cache: CachingStreamer }> {
    const store = await connected(RedisResponseStore.fromUrl(redis.url, { commandTimeoutMs: 500 }));
    stores.push(store);
    const upstream = new ScriptedStreamer();
    return { upstream, cache: new CachingStreamer(upstream, store, { storeTimeoutMs: 500, lockPollMs: 5 }) };
  }

  it("makes the second process wait for the first one's recording, then replay it", async () => {
    const a = await gateway();
    const b = await gateway();
    const request = cacheableStreamRequest();
    const release = a.upstream.hold(2);
    const leader = await a.cache.stream(request);
    const leaderEvents = drain(leader);
    const follower = b.cache.stream(request);
    await expect.poll(() => b.cache.stats().misses).toBe(1);
    release();
    const followed = await follower;
    expect(followed.cache).toBe('coalesced');
    expect(await drain(followed)).toEqual(await leaderEvents);
    expect(b.upstream.calls).toBe(0);
    expect(a.upstream.calls).toBe(1);
  });

  it('serves the recorded stream to the other process afterwards as a cache hit', async () => {
    const a = await gateway();
    const b = await gateway();
    const request = cacheableStreamRequest();
    const events = await drain(await a.cache.stream(request));
    await expect.poll(() => a.cache.stats().bytesWritten).toBeGreaterThan(0);
    const hit = await b.cache.stream(request);
    expect(hit.cache).toBe('hit');
    expect(await drain(hit)).toEqual(events);
  });

  it('lets the waiting process call upstream itself when the first stream fails', async () => {
    const a = await gateway();
    const b = await gateway();
    const request = cacheableStreamRequest({ script: { failAfter: 3 } });
    const release = a.upstream.hold(2);
    const leader = await a.cache.stream(request);
    const failing = drain(leader);
    const follower = b.cache.stream(request);
    await expect.poll(() => b.cache.stats().misses).toBe(1);
    release();
    await expect(failing).rejects.toMatchObject({ kind: 'upstream-unavailable' });
    const own = await follower;
    expect(own.cache).toBe('miss');
    expect(b.upstream.calls).toBe(1);
    await expect(drain(own)).rejects.toMatchObject({ kind: 'upstream-unavailable' });
  });
});
