/** What the scheduler needs to know of a waiting item. */
export interface Schedulable {
  /** Whose share of the upstream it uses. */
  readonly tenant: string;
  /** Higher goes first, whatever the tenant (interactive before deferrable). */
  readonly priority: number;
  /** Items of one key share a limit (a model's quota): the first of them in fair order blocks the others while it waits. */
  readonly key: string;
}

export interface FairSchedulerOptions<T extends Schedulable> {
  /** Items started and not finished at once. */
  readonly concurrency: number;
  /**
   * A tenant's weight: a waiting tenant of weight 2 starts twice as many items as one of weight 1. Undefined, or not a
   * positive finite number, counts as 1.
   */
  readonly weightOf: (tenant: string) => number | undefined;
  /**
   * Whether `item` may start now: 0 when it may (and whatever it needs, e.g. quota tokens, is taken), otherwise the
   * milliseconds until it may.
   */
  readonly admit: (item: T) => number;
  /** Runs the item; the slot is freed when the promise settles. */
  readonly start: (item: T) => Promise<unknown>;
}

interface Entry<T> {
  readonly item: T;
  /** Arrival order, so a tenant's heads of line (one per key) go oldest first. */
  readonly seq: number;
}

interface TenantLine<T> {
  /** The tenant's waiting items per key, oldest first. */
  readonly byKey: Map<string, Entry<T>[]>;
  /** Virtual time at which the tenant's next item finishes its turn (start-time fair queueing). */
  finish: number;
}

/**
 * Starts waiting items within a concurrency limit, fairly across tenants: among items of the highest waiting
 * priority, the tenant that has had the least service for its weight goes next (start-time fair queueing: each
 * start advances the tenant's virtual time by 1/weight; a tenant that was idle rejoins at the current virtual time,
 * so idleness earns no credit). One tenant's backlog therefore delays another tenant's request by about a turn
 * per waiting tenant, not by the whole backlog.
 *
 * An item whose limit is closed (`admit` > 0) stays at the head of its tenant's line for its key and blocks later
 * items of the same key for this round, so a large request is not starved by small ones behind it, while items of
 * other keys go on; a timer wakes the scheduler when the earliest limit reopens.
 */
export class FairScheduler<T extends Schedulable> {
  private readonly lines = new Map<number, Map<string, TenantLine<T>>>();
  private readonly waitingItems = new Set<T>();
  /** Where a tenant whose line emptied starts again (its service so far), per priority and tenant. */
  private readonly nextStart = new Map<string, number>();
  private virtualTime = 0;
  private seq = 0;
  private running = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;

  constructor(private readonly options: FairSchedulerOptions<T>) {}

  /** Items waiting to start. */
  get waiting(): number {
    return this.waitingItems.size;
  }

  /** Items started and not finished. */
  get active(): number {
    return this.running;
  }

  /** Queues an item; `first` puts it at the head of its tenant's line (a retry that already had its turn). */
  enqueue(item: T, first = false): void {
    let byTenant = this.lines.get(item.priority);
    if (!byTenant) {
      byTenant = new Map();
      this.lines.set(item.priority, byTenant);
    }
    let line = byTenant.get(item.tenant);
    if (!line) {
      const start = Math.max(this.virtualTime, this.nextStart.get(`${item.priority} ${item.tenant}`) ?? 0);
      line = { byKey: new Map(), finish: start + 1 / this.weight(item.tenant) };
      byTenant.set(item.tenant, line);
    }
    let queue = line.byKey.get(item.key);
    if (!queue) {
      queue = [];
      line.byKey.set(item.key, queue);
    }
    if (first) queue.unshift({ item, seq: -++this.seq });
    else queue.push({ item, seq: ++this.seq });
    this.waitingItems.add(item);
    this.pump();
  }

  /** Takes a waiting item out (its caller left); it is never started. Does nothing for an item not waiting. */
  cancel(item: T): void {
    if (!this.waitingItems.delete(item)) return;
    // Left in its line and dropped when it reaches the head: no search through a long line.
    if (this.waitingItems.size === 0) this.stopTimer();
  }

  /** Looks again for items to start: call when a limit may have reopened early (tokens given back). */
  pump(): void {
    while (this.running < this.options.concurrency && this.waitingItems.size > 0) {
      const next = this.pick();
      if (!next) return;
      this.run(next);
    }
  }

  private weight(tenant: string): number {
    const w = this.options.weightOf(tenant);
    return w !== undefined && Number.isFinite(w) && w > 0 ? w : 1;
  }

  /** The tenant's head of line for `key`, dropping cancelled items; removes emptied queues. */
  private head(line: TenantLine<T>, key: string): Entry<T> | undefined {
    const queue = line.byKey.get(key)!;
    while (queue.length > 0 && !this.waitingItems.has(queue[0]!.item)) queue.shift();
    if (queue.length === 0) line.byKey.delete(key);
    return queue[0];
  }

  /** The next item that may start, taken out of its line; undefined when every candidate waits for a limit. */
  private pick(): T | undefined {
    let soonest = Infinity;
    for (const priority of [...this.lines.keys()].sort((a, b) => b - a)) {
      const byTenant = this.lines.get(priority)!;
      const blocked = new Set<string>();
      const order = [...byTenant.entries()].sort((a, b) => a[1].finish - b[1].finish);
      for (const [tenant, line] of order) {
        const heads = [...line.byKey.keys()]
          .map((key) => this.head(line, key))
          .filter((e): e is Entry<T> => e !== undefined);
        if (line.byKey.size === 0) {
          byTenant.delete(tenant);
          continue;
        }
        for (const entry of heads.sort((a, b) => a.seq - b.seq)) {
          if (blocked.has(entry.item.key)) continue;
          const wait = this.options.admit(entry.item);
          if (wait > 0) {
            blocked.add(entry.item.key);
            soonest = Math.min(soonest, wait);
            continue;
          }
          this.take(byTenant, tenant, line, entry.item);
          if (byTenant.size === 0) this.lines.delete(priority);
          return entry.item;
        }
      }
      if (byTenant.size === 0) this.lines.delete(priority);
    }
    if (soonest < Infinity) this.wakeIn(soonest);
    return undefined;
  }

  private take(byTenant: Map<string, TenantLine<T>>, tenant: string, line: TenantLine<T>, item: T): void {
    line.byKey.get(item.key)!.shift();
    this.waitingItems.delete(item);
    this.virtualTime = Math.max(this.virtualTime, line.finish - 1 / this.weight(tenant));
    line.finish += 1 / this.weight(tenant);
    if (line.byKey.get(item.key)!.length === 0) line.byKey.delete(item.key);
    if (line.byKey.size === 0) {
      byTenant.delete(tenant);
      this.remember(`${item.priority} ${tenant}`, line.finish - 1 / this.weight(tenant));
    }
  }

  /** Keeps where an emptied line would start again; forgets what the virtual time has passed (it would start there anyway). */
  private remember(key: string, start: number): void {
    this.nextStart.set(key, start);
    if (this.nextStart.size <= 1024) return;
    for (const [k, at] of this.nextStart) if (at <= this.virtualTime) this.nextStart.delete(k);
  }

  private run(item: T): void {
    this.running += 1;
    let started: Promise<unknown>;
    try {
      started = this.options.start(item);
    } catch (error) {
      started = Promise.reject(error);
    }
    void started
      .catch(() => undefined)
      .then(() => {
        this.running -= 1;
        this.pump();
      });
  }

  private wakeIn(ms: number): void {
    const at = Date.now() + ms;
    if (this.timer !== undefined && this.timerAt <= at) return;
    this.stopTimer();
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.pump();
    }, ms);
  }

  private stopTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }
}
