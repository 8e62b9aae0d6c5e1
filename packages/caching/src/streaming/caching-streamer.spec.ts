import type { ModelStream, ModelStreamEvent, ModelStreamer } from '@nova-cost/domain';
import { NovaCostError } from '@nova-cost/domain';
import { describe, expect, it } from 'vitest';
import { InMemoryResponseStore } from '../in-memory-response-store';
import type { ResponseStore } from '../response-store.port';
import { brokenStore } from '../testing/broken-store';
import { fastClock, losesSecondLockAnswer } from '../testing/lost-lock-answer';
import { cacheableStreamRequest, ScriptedStreamer } from '../testing/scripted-streamer';
import { CachingStreamer } from './caching-streamer';

async function drain(stream: ModelStream): Promise<ModelStreamEvent[]> {
  const events: ModelStreamEvent[] = [];
  for await (const e of stream.events) events.push(e);
  return events;
}

const textOf = (events: readonly ModelStreamEvent[]): string =>
  events.map((e) => String((e.payload['delta'] as { text?: string } | undefined)?.text ?? '')).join('');

function setUp(store: ResponseStore = new InMemoryResponseStore()) {
  const upstream = new ScriptedStreamer();
  return { upstream, cache: new CachingStreamer(upstream, store, { lockWaitMs: 1000, lockPollMs: 5 }) };
}

describe(CachingStreamer, () => {
  describe('a cacheable stream', () => {
    it('is streamed from upstream once, then replayed from the cache as the same events', async () => {
      const { upstream, cache } = setUp();
      const request = cacheableStreamRequest();
      const first = await cache.stream(request);
      expect(first.cache).toBe('miss');
      const events = await drain(first);
      expect((await first.report).end).toBe('complete');
      await expect.poll(() => cache.stats().bytesWritten).toBeGreaterThan(0);
      const second = await cache.stream(request);
      expect(second.cache).toBe('hit');
      expect(await drain(second)).toEqual(events);
      expect(await second.report).toMatchObject({ end: 'complete', usage: (await first.report).usage });
      expect(upstream.calls).toBe(1);
      expect(cache.stats()).toMatchObject({ hits: 1, misses: 1 });
    });

    it('stores the events without the frames upstream sent with them: a replay frames them afresh', async () => {
      const upstream = new ScriptedStreamer();
      async function* framed(events: AsyncIterable<ModelStreamEvent>): AsyncGenerator<ModelStreamEvent> {
        for await (const e of events) yield { ...e, frame: Uint8Array.of(0, 0, 0, 16) };
      }
      const framing: ModelStreamer = {
        stream: async (call, options) => {
          const stream = await upstream.stream(call, options);
          return { ...stream, events: framed(stream.events) };
        },
      };
      const cache = new CachingStreamer(framing, new InMemoryResponseStore(), { lockWaitMs: 1000, lockPollMs: 5 });
      const request = cacheableStreamRequest();
      const live = await drain(await cache.stream(request));
      expect(live.every((e) => e.frame instanceof Uint8Array)).toBe(true);
      await expect.poll(() => cache.stats().bytesWritten).toBeGreaterThan(0);
      const replay = await cache.stream(request);
      expect(replay.cache).toBe('hit');
      const replayed = await drain(replay);
      expect(replayed.some((e) => 'frame' in e)).toBe(false);
      expect(replayed).toEqual(live.map(({ type, payload }) => ({ type, payload })));
    });

    it('shares one upstream stream among 20 identical requests in flight, each getting every event', async () => {
      const { upstream, cache } = setUp();
      const request = cacheableStreamRequest();
      const release = upstream.hold(2);
      const streams = await Promise.all(Array.from({ length: 20 }, () => cache.stream(request)));
      const all = Promise.all(streams.map(drain));
      release();
      const texts = (await all).map(textOf);
      expect(new Set(texts).size).toBe(1);
      expect(texts[0]).toMatch(/^answer 1 /);
      expect(upstream.calls).toBe(1);
      expect(streams.map((s) => s.cache).sort()).toEqual([...Array<string>(19).fill('coalesced'), 'miss']);
      for (const s of streams) expect((await s.report).end).toBe('complete');
    });

    it('gives a caller that joins mid-stream every event so far, then the rest live', async () => {
      const { upstream, cache } = setUp();
      const request = cacheableStreamRequest();
      const release = upstream.hold(3);
      const leader = await cache.stream(request);
      const reader = leader.events[Symbol.asyncIterator]();
      for (let i = 0; i < 3; i++) await reader.next();
      const late = await cache.stream(request);
      expect(late.cache).toBe('coalesced');
      const lateEvents = drain(late);
      release();
      const rest: ModelStreamEvent[] = [];
      for (let r = await reader.next(); !r.done; r = await reader.next()) rest.push(r.value);
      const all = await lateEvents;
      expect(all[0]?.type).toBe('messageStart');
      expect(all.at(-1)?.type).toBe('metadata');
      expect(all.slice(3)).toEqual(rest);
      expect(upstream.calls).toBe(1);
    });

    it('closes the upstream stream when its only caller leaves, and stores nothing', async () => {
      const { upstream, cache } = setUp();
      const request = cacheableStreamRequest();
      const release = upstream.hold(2);
      const abort = new AbortController();
      const stream = await cache.stream(request, { signal: abort.signal });
      const reading = drain(stream);
      abort.abort();
      await expect(reading).rejects.toMatchObject({ kind: 'aborted' });
      expect(await stream.report).toMatchObject({ end: 'abandoned' });
      await expect.poll(() => upstream.ends).toEqual(['abandoned']);
      release();
      const again = await cache.stream(request);
      expect(again.cache).toBe('miss');
      await drain(again);
      expect(upstream.calls).toBe(2);
    });

    it('keeps the upstream stream for the callers still reading when one leaves', async () => {
      const { upstream, cache } = setUp();
      const request = cacheableStreamRequest();
      const release = upstream.hold(2);
      const abort = new AbortController();
      const leaving = await cache.stream(request, { signal: abort.signal });
      const staying = await cache.stream(request);
      const left = drain(leaving);
      abort.abort();
      await expect(left).rejects.toMatchObject({ kind: 'aborted' });
      release();
      expect(textOf(await drain(staying))).toMatch(/word by word/);
      // The caller who left was billed for the upstream stream: its report is the whole stream's.
      expect(await leaving.report).toMatchObject({ end: 'complete' });
      expect(upstream.ends).toEqual(['complete']);
    });

    it("keeps waiting for another process's recording when one poll of the store fails, instead of streaming beside it", async () => {
      const shared = new InMemoryResponseStore();
      const holder = setUp(shared);
      const request = cacheableStreamRequest();
      const release = holder.upstream.hold(1);
      const holding = await holder.cache.stream(request); // the holder took the lock and streams
      const recorded = drain(holding);
      // The waiter's store is the holder's, but its first poll (its second lock attempt) fails, as a poll a loaded
      // store answers too late; the holder finishes only then.
      let attempts = 0;
      const failsFirstPoll: ResponseStore = Object.create(shared, {
        tryLock: {
          value: (...args: Parameters<ResponseStore['tryLock']>) => {
            if (++attempts !== 2) return shared.tryLock(...args);
            release();
            return Promise.reject(new Error('a poll the store did not answer'));
          },
        },
      });
      // Its wait bounded by the default lockWaitMs (30 s), not setUp's 1 s: a loaded machine is not raced.
      const waiterUpstream = new ScriptedStreamer();
      const waiter = new CachingStreamer(waiterUpstream, failsFirstPoll, { lockPollMs: 1 });
      const replayed = await waiter.stream(request);
      expect(replayed.cache).toBe('coalesced');
      expect(textOf(await drain(replayed))).toBe(textOf(await recorded));
      expect(waiterUpstream.calls).toBe(0);
    });

    it('streams at once, holding the lock, when a poll took the lock but its answer was lost (not after the lock TTL)', async () => {
      const lost = losesSecondLockAnswer(new InMemoryResponseStore());
      const upstream = new ScriptedStreamer();
      const waiter = new CachingStreamer(upstream, lost.store, { lockPollMs: 1, lockTtlMs: 60_000, now: fastClock() });
      const streamed = await waiter.stream(cacheableStreamRequest());
      expect(streamed.cache).toBe('miss');
      await drain(streamed);
      expect(upstream.calls).toBe(1);
      expect(lost.attempts()).toBe(3); // the poll after the lost one found the lock its own
    });

    it('passes a failure mid-stream to every caller, and stores nothing', async () => {
      const { upstream, cache } = setUp();
      const request = cacheableStreamRequest({ script: { failAfter: 3 } });
      const streams = await Promise.all([cache.stream(request), cache.stream(request)]);
      for (const s of streams)
        await expect(drain(s)).rejects.toMatchObject({ upstream: { name: 'ModelStreamErrorException' } });
      expect(await streams[0]!.report).toMatchObject({ end: 'failed' });
      await expect(drain(await cache.stream(request))).rejects.toBeInstanceOf(NovaCostError);
      expect(upstream.calls).toBe(2);
    });

    it('does not store a stream a guardrail stopped', async () => {
      const { upstream, cache } = setUp();
      const request = cacheableStreamRequest({ script: { stopReason: 'guardrail_intervened' } });
      await drain(await cache.stream(request));
      await expect.poll(() => cache.stats().notStored).toBe(1);
      expect((await cache.stream(request)).cache).toBe('miss');
      expect(upstream.calls).toBe(2);
    });

    it('fails open: a store that fails costs nothing but the cache', async () => {
      const { cache } = setUp(brokenStore);
      const stream = await cache.stream(cacheableStreamRequest());
      expect(textOf(await drain(stream))).toMatch(/word by word/);
      expect(cache.stats().errors).toBeGreaterThan(0);
    });
  });

  describe('a stream that is not cacheable', () => {
    it('goes upstream every time, admitted into the budget first', async () => {
      const { upstream, cache } = setUp();
      const request = { ...cacheableStreamRequest(), cache: 'none' as const };
      let admitted = 0;
      for (let i = 0; i < 2; i++) await drain(await cache.stream(request, { admit: async () => void (admitted += 1) }));
      expect(upstream.calls).toBe(2);
      expect(admitted).toBe(2);
      expect(cache.stats().bypass).toBe(2);
    });
  });

  it('admits a cache hit without a budget hold', async () => {
    const { cache } = setUp();
    const request = cacheableStreamRequest();
    await drain(await cache.stream(request));
    await expect.poll(() => cache.stats().bytesWritten).toBeGreaterThan(0);
    let admitted = 0;
    await drain(await cache.stream(request, { admit: async () => void (admitted += 1) }));
    expect(admitted).toBe(0);
  });

  it('refuses a unary operation', async () => {
    const { cache } = setUp();
    await expect(cache.stream({ ...cacheableStreamRequest(), operation: 'converse' })).rejects.toMatchObject({
      kind: 'internal',
    });
  });
});
