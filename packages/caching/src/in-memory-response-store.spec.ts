import { NovaCostError } from '@nova-cost/domain';
import { describe, expect, it } from 'vitest';
import { InMemoryResponseStore } from './in-memory-response-store';

describe(InMemoryResponseStore, () => {
  it('evicts the least recently used entries to stay under maxBytes', async () => {
    const store = new InMemoryResponseStore({ maxBytes: 250 });
    await store.set('a', 'x'.repeat(100), 60);
    await store.set('b', 'y'.repeat(100), 60);
    await store.get('a');
    await store.set('c', 'z'.repeat(100), 60);
    expect(await store.get('a')).toBeDefined();
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('c')).toBeDefined();
  });

  it('forgets an entry after its TTL', async () => {
    const store = new InMemoryResponseStore();
    await store.set('a', 'x', 0.05);
    await new Promise((r) => setTimeout(r, 80));
    expect(await store.get('a')).toBeUndefined();
  });

  it('gives the lock to one holder, and only that holder can release it', async () => {
    const store = new InMemoryResponseStore();
    expect(await store.tryLock('k', 'one', 1000)).toBe(true);
    expect(await store.tryLock('k', 'two', 1000)).toBe(false);
    expect(await store.tryLock('k', 'one', 1000)).toBe(true); // its own lock (an attempt whose answer was lost)
    await store.unlock('k', 'two');
    expect(await store.tryLock('k', 'two', 1000)).toBe(false);
    await store.unlock('k', 'one');
    expect(await store.tryLock('k', 'two', 1000)).toBe(true);
  });

  it.each([0, -1, 1.5])('rejects maxBytes %s', (maxBytes) => {
    expect(() => new InMemoryResponseStore({ maxBytes })).toThrow(/maxBytes must be a positive integer/);
    expect(() => new InMemoryResponseStore({ maxBytes })).toThrow(NovaCostError);
  });
});
