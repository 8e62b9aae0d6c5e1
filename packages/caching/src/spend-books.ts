import type { SpendEntry } from '@nova-cost/domain';
import { SpendBatch } from './spend-batch';

/** One tenant's spend not yet in Redis. */
export interface Book {
  readonly tenantId: string;
  /** Entries recorded since the last write began. */
  open: SpendBatch;
  /** The batch being written, or whose write failed: retried as it is (same id) until Redis acknowledges it. */
  sending?: SpendBatch;
  /** Applied batches whose markers the next write deletes. */
  forget: string[];
}

/**
 * The Redis spend ledger's outage buffer: what each tenant recorded and Redis has not acknowledged yet, bounded by
 * `maxPendingCells` (a cell: one tenant, day, model and category), so an outage holds memory in proportion to what
 * was spent on, not to the number of calls. The budget-hold ids to release with the writes are bounded by the same
 * number: past it, a hold id is not kept, and the hold lapses at its TTL instead (until then it counts against the
 * tenant's budget: an outage errs toward refusing calls, never toward overspending). A tenant's book lives only while
 * it has something to write.
 */
export class SpendBooks {
  private readonly books = new Map<string, Book>();
  private pendingCells = 0;
  private pendingReleases = 0;

  constructor(private readonly maxPendingCells: number) {}

  /** Keeps `entry` for the next write; false when it would open a cell past `maxPendingCells` (it is not kept). */
  add(entry: SpendEntry): boolean {
    const book = this.book(entry.tenantId);
    if (!book.open.has(entry)) {
      if (this.pendingCells >= this.maxPendingCells) return false;
      this.pendingCells += 1;
    }
    book.open.add(entry);
    if (entry.holdId !== undefined) this.keepRelease(book, entry.holdId);
    return true;
  }

  /** Releases a budget hold with the next write of the tenant's spend (unless `maxPendingCells` hold ids wait already). */
  release(tenantId: string, holdId: string): void {
    this.keepRelease(this.book(tenantId), holdId);
  }

  /** The tenant's book, if it has one. */
  get(tenantId: string): Book | undefined {
    return this.books.get(tenantId);
  }

  /** The tenants with something not yet written. */
  tenants(): IterableIterator<string> {
    return this.books.keys();
  }

  /**
   * The books with something to write, each open batch moved to sending (unless a batch is already being sent: it is
   * retried as it is first); idle books are dropped.
   */
  due(): Book[] {
    const due: Book[] = [];
    for (const book of this.books.values()) {
      if (!book.sending && !book.open.empty) {
        book.sending = book.open;
        book.open = new SpendBatch();
      }
      if (book.sending || book.forget.length > 0) due.push(book);
      else this.books.delete(book.tenantId);
    }
    return due;
  }

  /** Redis acknowledged the book's sending batch. */
  written(book: Book, batch: SpendBatch): void {
    book.sending = undefined;
    this.pendingCells -= batch.cellCount;
    this.pendingReleases -= batch.releases.length;
  }

  hasWork(): boolean {
    for (const book of this.books.values()) if (!book.open.empty || book.sending) return true;
    return false;
  }

  /** Entries (and their cost) recorded and not acknowledged by Redis. */
  unwritten(): { entries: number; costUsd: number } {
    let entries = 0;
    let costUsd = 0;
    for (const book of this.books.values()) {
      for (const batch of [book.open, book.sending]) {
        entries += batch?.entries ?? 0;
        costUsd += batch?.costUsd ?? 0;
      }
    }
    return { entries, costUsd };
  }

  private keepRelease(book: Book, holdId: string): void {
    if (this.pendingReleases >= this.maxPendingCells) return; // the hold lapses at its TTL
    this.pendingReleases += 1;
    book.open.releases.push(holdId);
  }

  private book(tenantId: string): Book {
    let book = this.books.get(tenantId);
    if (!book) this.books.set(tenantId, (book = { tenantId, open: new SpendBatch(), forget: [] }));
    return book;
  }
}
