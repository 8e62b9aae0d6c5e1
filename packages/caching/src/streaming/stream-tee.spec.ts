import { NovaCostError } from '@nova-cost/domain';
import { describe, expect, it } from 'vitest';
import { StreamTee } from './stream-tee';

/** A source the spec feeds by hand; it counts how often it was read and whether it was closed. */
class Feed implements AsyncIterator<string> {
  reads = 0;
  closed = false;
  private queue: IteratorResult<string>[] = [];
  private error: unknown;
  private waiting: ((r: IteratorResult<string>) => void) | undefined;
  private failWaiting: ((e: unknown) => void) | undefined;

  push(...values: string[]): void {
    for (const value of values) this.deliver({ value, done: false });
  }
  end(): void {
    this.deliver({ value: undefined, done: true });
  }
  fail(error: unknown): void {
    if (this.failWaiting) {
      const f = this.failWaiting;
      this.waiting = this.failWaiting = undefined;
      f(error);
    } else this.error = error;
  }
  next(): Promise<IteratorResult<string>> {
    this.reads += 1;
    if (this.error !== undefined) return Promise.reject(this.error);
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failWaiting = reject;
    });
  }
  return(): Promise<IteratorResult<string>> {
    this.closed = true;
    return Promise.resolve({ value: undefined, done: true });
  }
  private deliver(result: IteratorResult<string>): void {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = this.failWaiting = undefined;
      w(result);
    } else this.queue.push(result);
  }
}

const tee = (feed: Feed, maxBufferedBytes?: number, onAbandoned?: () => void) =>
  new StreamTee<string>(feed, {
    sizeOf: (s) => s.length,
    ...(maxBufferedBytes === undefined ? {} : { maxBufferedBytes }),
    ...(onAbandoned ? { onAbandoned } : {}),
  });

async function collect(items: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe(StreamTee, () => {
  it('gives one subscriber every event, then the end', async () => {
    const feed = new Feed();
    feed.push('a', 'b', 'c');
    feed.end();
    expect(await collect(tee(feed).subscribe())).toEqual(['a', 'b', 'c']);
  });

  it('gives a late joiner every event so far, then the live ones', async () => {
    const feed = new Feed();
    const t = tee(feed);
    const first = t.subscribe()[Symbol.asyncIterator]();
    feed.push('a', 'b');
    expect((await first.next()).value).toBe('a');
    expect((await first.next()).value).toBe('b');
    const late = collect(t.subscribe());
    feed.push('c');
    feed.end();
    expect(await collect({ [Symbol.asyncIterator]: () => first })).toEqual(['c']);
    expect(await late).toEqual(['a', 'b', 'c']);
    expect(t.recording).toEqual(['a', 'b', 'c']);
  });

  it('reads the source only as fast as the fastest subscriber reads', async () => {
    const feed = new Feed();
    const t = tee(feed);
    const reader = t.subscribe()[Symbol.asyncIterator]();
    feed.push('a', 'b', 'c', 'd');
    await reader.next();
    await reader.next();
    expect(feed.reads).toBe(2);
  });

  it('closes the source, and says so, only when the last subscriber leaves', async () => {
    const feed = new Feed();
    let abandoned = 0;
    const t = tee(feed, undefined, () => (abandoned += 1));
    const one = new AbortController();
    const a = collect(t.subscribe(one.signal));
    const b = t.subscribe()[Symbol.asyncIterator]();
    feed.push('x');
    expect((await b.next()).value).toBe('x');
    one.abort();
    await expect(a).rejects.toMatchObject({ kind: 'aborted' });
    expect(feed.closed).toBe(false);
    expect(t.joinable).toBe(true);
    await b.return?.();
    await expect.poll(() => feed.closed).toBe(true);
    expect(abandoned).toBe(1);
    expect(t.joinable).toBe(false);
  });

  it("gives every subscriber the source's failure after the events before it, and records nothing", async () => {
    const feed = new Feed();
    const t = tee(feed);
    const a = collect(t.subscribe());
    const b = collect(t.subscribe());
    feed.push('a');
    await expect.poll(() => feed.reads).toBe(2);
    feed.fail(new NovaCostError('upstream-unavailable', 'cut'));
    await expect(a).rejects.toMatchObject({ kind: 'upstream-unavailable' });
    await expect(b).rejects.toMatchObject({ kind: 'upstream-unavailable' });
    expect(t.recording).toBeUndefined();
  });

  describe('having more than maxBufferedBytes of events', () => {
    it('stops being joinable and recordable, and keeps only what a reader has not read', async () => {
      const feed = new Feed();
      const t = tee(feed, 4);
      const reader = t.subscribe()[Symbol.asyncIterator]();
      feed.push('aa', 'bb', 'cc', 'dd');
      feed.end();
      for (let i = 0; i < 4; i++) await reader.next();
      expect(t.joinable).toBe(false);
      expect((await reader.next()).done).toBe(true);
      expect(t.recording).toBeUndefined();
    });

    it('drops a subscriber that falls further behind than that, not the others', async () => {
      const feed = new Feed();
      const t = tee(feed, 4);
      const slow = t.subscribe()[Symbol.asyncIterator]();
      const fast = t.subscribe()[Symbol.asyncIterator]();
      feed.push('aa', 'bb', 'cc', 'dd');
      feed.end();
      const read: string[] = [];
      for (let r = await fast.next(); !r.done; r = await fast.next()) read.push(r.value);
      expect(read).toEqual(['aa', 'bb', 'cc', 'dd']);
      await expect(slow.next()).rejects.toMatchObject({ kind: 'timeout', details: { maxBufferedBytes: 4 } });
    });

    it('never drops a reader for one event larger than the limit', async () => {
      const feed = new Feed();
      feed.push('a-very-long-event');
      feed.end();
      expect(await collect(tee(feed, 4).subscribe())).toEqual(['a-very-long-event']);
    });
  });

  it('refuses a subscriber once it is not joinable', async () => {
    const feed = new Feed();
    const t = tee(feed);
    await t.subscribe()[Symbol.asyncIterator]().return?.();
    expect(() => t.subscribe()).toThrow(/unjoinable/);
  });
});
