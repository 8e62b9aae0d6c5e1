import { describe, expect, it } from 'vitest';
import { SpendBooks } from './spend-books';
import { spendEntry } from './testing/spend-ledger.contract';

describe(SpendBooks, () => {
  describe('.add', () => {
    it('keeps entries of cells it holds already, and refuses one that would open a cell past maxPendingCells', () => {
      const books = new SpendBooks(1);
      expect(books.add(spendEntry({ tenantId: 'a', costUsd: 1 }))).toBe(true);
      expect(books.add(spendEntry({ tenantId: 'a', costUsd: 2 }))).toBe(true);
      expect(books.add(spendEntry({ tenantId: 'b', costUsd: 4 }))).toBe(false);
      expect(books.unwritten()).toEqual({ entries: 2, costUsd: 3 });
    });
  });

  describe('.release', () => {
    it('keeps at most maxPendingCells hold ids to release (the rest lapse at their TTL), and frees them once written', () => {
      const books = new SpendBooks(2);
      books.add(spendEntry({ tenantId: 'a', costUsd: 1, holdId: 'h1' }));
      books.release('a', 'h2');
      books.release('b', 'h3');
      books.add(spendEntry({ tenantId: 'a', costUsd: 1, holdId: 'h4' }));
      const due = books.due();
      expect(due.flatMap((b) => b.sending!.releases)).toEqual(['h1', 'h2']);
      expect(books.unwritten()).toEqual({ entries: 2, costUsd: 2 });
      for (const book of due) books.written(book, book.sending!);
      books.release('b', 'h5');
      expect(books.due().flatMap((b) => b.sending!.releases)).toEqual(['h5']);
    });
  });

  describe('.due and .written', () => {
    it('sends what was recorded, frees its cells once Redis took it, and forgets an idle tenant', () => {
      const books = new SpendBooks(1);
      books.add(spendEntry({ tenantId: 'a', costUsd: 1 }));
      const [book] = books.due();
      expect(book?.sending?.entries).toBe(1);
      expect(books.add(spendEntry({ tenantId: 'b', costUsd: 1 }))).toBe(false); // still held until acknowledged
      books.written(book!, book!.sending!);
      expect(books.hasWork()).toBe(false);
      expect(books.due()).toEqual([]);
      expect([...books.tenants()]).toEqual([]);
      expect(books.add(spendEntry({ tenantId: 'b', costUsd: 1 }))).toBe(true);
    });

    it('retries a batch whose write failed as it is, before the entries recorded since', () => {
      const books = new SpendBooks(10);
      books.add(spendEntry({ tenantId: 'a', costUsd: 1 }));
      const first = books.due()[0]!.sending;
      books.add(spendEntry({ tenantId: 'a', costUsd: 2 }));
      expect(books.due()[0]!.sending).toBe(first);
      expect(books.unwritten()).toEqual({ entries: 2, costUsd: 3 });
    });
  });
});
