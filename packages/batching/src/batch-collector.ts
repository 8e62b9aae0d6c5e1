import type { LaneBatching } from './batching-invoker.options';

interface HeldBatch<T> {
  readonly items: T[];
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * Holds items under a key until the batch is full or its oldest item has waited long enough — the good part
 * of the design document's processor. Unlike it, a flush hands the whole batch over at once and returns:
 * what happens next (concurrent calls) is the receiver's business.
 */
export class BatchCollector<T> {
  private readonly held = new Map<string, HeldBatch<T>>();

  constructor(private readonly flushTo: (items: T[]) => void) {}

  /** Batches currently held open. */
  get heldBatches(): number {
    return this.held.size;
  }

  /** Items currently held. */
  get heldItems(): number {
    let n = 0;
    for (const batch of this.held.values()) n += batch.items.length;
    return n;
  }

  /** Holds an item under a rule that holds (maxBatchSize > 1, maxWaitMs > 0): the batcher sends the others alone. */
  add(key: string, item: T, rule: Required<LaneBatching>): void {
    let batch = this.held.get(key);
    if (!batch) {
      const created: HeldBatch<T> = { items: [] };
      created.timer = setTimeout(() => this.flush(key, created), rule.maxWaitMs);
      this.held.set(key, created);
      batch = created;
    }
    batch.items.push(item);
    if (batch.items.length >= rule.maxBatchSize) this.flush(key, batch);
  }

  /** Hands over every held batch now (drain). */
  flushAll(): void {
    for (const [key, batch] of [...this.held]) this.flush(key, batch);
  }

  private flush(key: string, batch: HeldBatch<T>): void {
    // A timer may fire for a batch that a size flush already handed over and a new batch replaced.
    if (this.held.get(key) !== batch) return;
    this.held.delete(key);
    clearTimeout(batch.timer);
    this.flushTo(batch.items);
  }
}
