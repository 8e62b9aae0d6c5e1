import { NovaCostError } from '@nova-cost/domain';

export interface StreamTeeOptions<T> {
  /**
   * Bytes of events kept for subscribers that are behind and for those joining late. While the whole stream fits, it
   * is all kept (a late joiner gets every event so far, and the stream may be recorded); past it, only what the
   * slowest subscriber has not read yet is kept, nobody may join, and a subscriber further behind than this is
   * dropped with a 'timeout' error rather than make the process hold an unbounded backlog. @default 1048576 (1 MiB)
   */
  readonly maxBufferedBytes?: number;
  /** The size an event counts against maxBufferedBytes. */
  readonly sizeOf: (item: T) => number;
  /** Called once, when the last subscriber left before the source ended (the source has been closed). */
  readonly onAbandoned?: () => void;
}

interface Subscriber {
  /** Index in the whole stream of the next event this subscriber reads. */
  cursor: number;
  /** Wakes the subscriber waiting for the next event, if it waits. */
  wake: (() => void) | undefined;
  /** Set when the subscriber was dropped for falling too far behind. */
  dropped?: NovaCostError;
}

/**
 * Shares one async source among subscribers. Each gets every event from the first, however late it joined, then
 * follows live at its own pace. The source is read on demand, as fast as the fastest subscriber reads (so a lone
 * reader that stops reading stops the source: back-pressure reaches the upstream), and closed as soon as every
 * subscriber has left.
 */
export class StreamTee<T> {
  private readonly history: T[] = [];
  /** Index in the whole stream of history[0] (events before it were trimmed). */
  private offset = 0;
  private bytes = 0;
  private readonly subscribers = new Set<Subscriber>();
  private pulling: Promise<void> | undefined;
  private ended = false;
  private failure: unknown;
  private failed = false;
  private abandoned = false;
  private trimmed = false;
  private readonly maxBytes: number;
  private finish!: () => void;
  /** Resolves once the source ended, failed or was abandoned (the recording, if any, is then final). */
  readonly finished = new Promise<void>((resolve) => (this.finish = resolve));

  constructor(
    private readonly source: AsyncIterator<T>,
    private readonly options: StreamTeeOptions<T>,
  ) {
    this.maxBytes = options.maxBufferedBytes ?? 1024 * 1024;
  }

  /** Whether a new subscriber can still get the whole stream: not abandoned, and nothing trimmed. */
  get joinable(): boolean {
    return !this.abandoned && !this.trimmed;
  }

  /** The whole stream, when it ended without error and every event was kept (for recording it). */
  get recording(): readonly T[] | undefined {
    return this.ended && !this.failed && !this.trimmed ? this.history : undefined;
  }

  /** A subscription: every event from the first, then live. `signal` (or breaking off) ends it. */
  subscribe(signal?: AbortSignal): AsyncIterable<T> {
    if (!this.joinable)
      throw new NovaCostError(
        'internal',
        'StreamTee.subscribe after the stream became unjoinable (check joinable first)',
      );
    const sub: Subscriber = { cursor: this.offset, wake: undefined };
    this.subscribers.add(sub);
    const leave = (): void => {
      this.leave(sub);
      sub.wake?.();
    };
    signal?.addEventListener('abort', leave, { once: true });
    const generator = this.read(sub, signal, leave);
    // A subscriber that leaves before its first next() never runs the generator's body, nor its finally.
    const iterator: AsyncIterableIterator<T> = {
      next: () => generator.next(),
      return: async (value?: unknown) => {
        const result = await generator.return(value);
        signal?.removeEventListener('abort', leave);
        this.leave(sub);
        return result;
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  private async *read(sub: Subscriber, signal: AbortSignal | undefined, leave: () => void): AsyncGenerator<T> {
    try {
      for (;;) {
        if (signal?.aborted) throw new NovaCostError('aborted', 'the caller aborted the stream');
        if (sub.dropped) throw sub.dropped;
        const at = sub.cursor - this.offset;
        if (at < this.history.length) {
          sub.cursor += 1;
          const item = this.history[at] as T;
          this.trim();
          yield item;
          continue;
        }
        if (this.failed) throw this.failure;
        if (this.ended) return;
        await this.next(sub);
      }
    } finally {
      signal?.removeEventListener('abort', leave);
      this.leave(sub);
    }
  }

  /** Waits until there is more for `sub`: pulls the source when nobody is pulling it already. */
  private next(sub: Subscriber): Promise<void> {
    const woken = new Promise<void>((resolve) => (sub.wake = resolve));
    this.pulling ??= this.pull();
    return woken;
  }

  private async pull(): Promise<void> {
    try {
      const { done, value } = await this.source.next();
      if (done) {
        this.ended = true;
        this.finish();
      } else this.append(value);
    } catch (error) {
      this.failed = true;
      this.ended = true;
      this.failure = error;
      this.finish();
    } finally {
      this.pulling = undefined;
      for (const s of this.subscribers) {
        s.wake?.();
        s.wake = undefined;
      }
    }
  }

  private append(item: T): void {
    this.history.push(item);
    this.bytes += this.options.sizeOf(item);
    if (this.bytes > this.maxBytes) this.trimmed = true;
    this.trim();
  }

  /** Past maxBufferedBytes: drops what every subscriber has read, then any subscriber still too far behind. */
  private trim(): void {
    if (!this.trimmed) return;
    for (;;) {
      let slowest = this.offset + this.history.length;
      for (const s of this.subscribers) if (!s.dropped) slowest = Math.min(slowest, s.cursor);
      const upTo = slowest - this.offset;
      if (upTo > 0) {
        for (const item of this.history.splice(0, upTo)) this.bytes -= this.options.sizeOf(item);
        this.offset += upTo;
      }
      // One event larger than the limit is no backlog: only a reader behind more than the newest event is dropped.
      if (this.bytes <= this.maxBytes || this.history.length <= 1) return;
      for (const s of this.subscribers) {
        if (s.cursor !== this.offset || s.dropped) continue;
        s.dropped = new NovaCostError(
          'timeout',
          `the reader fell more than ${this.maxBytes} bytes behind the stream (maxBufferedBytes)`,
          { details: { maxBufferedBytes: this.maxBytes } },
        );
        s.wake?.();
      }
    }
  }

  private leave(sub: Subscriber): void {
    if (!this.subscribers.delete(sub)) return;
    this.trim();
    if (this.subscribers.size > 0 || this.ended || this.abandoned) return;
    this.abandoned = true;
    this.finish();
    // An async generator queues this behind a pull in progress; the owner's onAbandoned cuts what that pull waits for.
    void Promise.resolve()
      .then(() => this.source.return?.())
      .catch(() => undefined);
    this.options.onAbandoned?.();
  }
}
