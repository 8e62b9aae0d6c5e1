import type { LoggedCall } from './logged-call';

/**
 * Puts calls in time order with bounded memory. Bedrock's log files are each roughly in time order and files are
 * read in hour order, but neighbouring files overlap and records within a file can be a little out of order. The
 * window holds up to `capacity` calls (and up to `maxChars` characters of their records, since a logged body can be
 * 100 KB) in a min-heap by time and releases the earliest once it is full, so any call displaced by fewer records
 * than it holds comes out in order. A call later than that comes out after calls newer than it: it is counted as
 * late, and the replay takes it at the time of the call before it.
 */
export class ReorderWindow {
  private readonly heap: { call: LoggedCall; seq: number }[] = [];
  private seq = 0;
  private lastReleased = Number.NEGATIVE_INFINITY;
  private lateCount = 0;
  private chars = 0;

  /**
   * @param capacity calls held at most. @default 10000
   * @param maxChars characters of records held at most (about their bytes in memory, twice over). @default 128 Mi
   */
  constructor(
    private readonly capacity = 10_000,
    private readonly maxChars = 128 * 1024 * 1024,
  ) {
    if (!(Number.isInteger(capacity) && capacity >= 1))
      throw new RangeError(`reorder window must hold at least 1 call, got ${capacity}`);
  }

  /** Adds a call; returns the earliest held call once the window is full. */
  push(call: LoggedCall): LoggedCall | undefined {
    this.insert({ call, seq: this.seq++ });
    this.chars += call.origin.length ?? 0;
    return this.heap.length > this.capacity || (this.chars > this.maxChars && this.heap.length > 1)
      ? this.release()
      : undefined;
  }

  /** Releases every held call, earliest first. */
  *drain(): Generator<LoggedCall> {
    while (this.heap.length > 0) yield this.release();
  }

  /** Calls released after a newer one had been released. */
  get late(): number {
    return this.lateCount;
  }

  private release(): LoggedCall {
    const top = this.heap[0]!;
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
    this.chars -= top.call.origin.length ?? 0;
    if (top.call.at < this.lastReleased) this.lateCount += 1;
    else this.lastReleased = top.call.at;
    return top.call;
  }

  private less(i: number, j: number): boolean {
    const a = this.heap[i]!;
    const b = this.heap[j]!;
    return a.call.at < b.call.at || (a.call.at === b.call.at && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const t = this.heap[i]!;
    this.heap[i] = this.heap[j]!;
    this.heap[j] = t;
  }

  private insert(item: { call: LoggedCall; seq: number }): void {
    this.heap.push(item);
    for (let i = this.heap.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.heap.length && this.less(l, m)) m = l;
      if (r < this.heap.length && this.less(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
