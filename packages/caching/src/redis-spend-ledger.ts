import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Cluster, ClusterNode, Redis } from 'ioredis';
import type {
  BudgetHoldAnswer,
  BudgetLimit,
  SharedBudget,
  SpendDimension,
  SpendEntry,
  SpendGroup,
  SpendLedger,
  SpendQuery,
  SpendRow,
  SpendSummary,
} from '@nova-cost/domain';
import { checkSpendEntry, NovaCostError, tallySpend } from '@nova-cost/domain';
import type { CircuitBreakerOptions } from './circuit-breaker';
import { CircuitBreaker } from './circuit-breaker';
import { withinLoopAwareDeadline } from './loop-aware-deadline';
import type { RedisConnectOptions } from './redis-connection';
import { failOpenCluster, failOpenRedis } from './redis-connection';
import { HOLD_SCRIPT, READ_SCRIPT, WRITE_SCRIPT } from './redis-spend-scripts';
import type { SpendBatch } from './spend-batch';
import { epochDay, isoDay, rowsOfDay } from './spend-batch';
import type { Book } from './spend-books';
import { SpendBooks } from './spend-books';
import { SpendKeys } from './spend-keys';

/** Spend the ledger could not keep: counted, never silent. */
export interface SpendLoss {
  readonly entries: number;
  readonly costUsd: number;
  /** 'hold-full': maxPendingCells reached while Redis could not take writes; 'shutdown': close() ran out of time; 'closed': recorded after close(). */
  readonly reason: 'hold-full' | 'shutdown' | 'closed';
}

export interface RedisSpendLedgerOptions {
  /** Prefix of every key. @default 'nc:spend:v1' */
  readonly prefix?: string;
  /** Days a day's totals are kept after its last entry. @default 400 */
  readonly retentionDays?: number;
  /** Interval of the writes: each writes what every tenant recorded since, one script per tenant; failed writes are retried at the next. @default 200 */
  readonly flushMs?: number;
  /** Budget of each Redis call, not counting time the event loop was too busy to read the answer. @default 250 */
  readonly timeoutMs?: number;
  /**
   * Budget of a budget hold, likewise. Longer than other calls: a hold decides whether a billed call may start, and
   * one that times out admits the call without a fleet hold (fail open), which a slow but live Redis (a busy machine)
   * should not cause. @default 1000
   */
  readonly holdTimeoutMs?: number;
  /**
   * Most totals held in memory at once (one per tenant, UTC day, model and category with entries not yet written).
   * Entries needing a new one past it are dropped and reported (onLoss). Also the most budget-hold ids kept to release
   * with the writes: past it a hold is left to lapse at `holdTtlMs`. @default 100000
   */
  readonly maxPendingCells?: number;
  /** Lifetime of a budget hold: it must outlast the call and the write that settles it; a crashed process's holds lapse after it. @default 600000 */
  readonly holdTtlMs?: number;
  /** Stops calling a Redis that keeps failing or stalling (entries are held, queries and holds refused at once). @default { failureThreshold: 5, openMs: 1000 } */
  readonly breaker?: CircuitBreakerOptions;
  /** Told of every entry the ledger could not keep (and at close, of what it could not write). @default ignore */
  readonly onLoss?: (loss: SpendLoss) => void;
}

/** How long an applied-marker outlives its batch when the process dies before deleting it. */
const MARKER_SECONDS = 86_400;

/**
 * The spend ledger in Redis (single node or Cluster), shared by every gateway process, so budgets and `/costs` see
 * the whole fleet. It keeps totals per tenant, UTC day, model and category (not single entries): a query's time
 * range counts whole UTC days, from the day `from` falls in to the last day that starts before `to`.
 *
 * `record()` never waits for Redis: it adds the entry to its tenant's batch in memory, and every `flushMs` one
 * script per tenant applies the batch, once (its id marks it applied for a retry whose answer was lost; the marker is
 * deleted by the tenant's next write, or at the next interval when nothing new was recorded). So Redis keeps no
 * per-request or per-batch state, and memory is bounded by what is held.
 * After any Redis fault the next interval writes again; `close()` writes what is left or reports it (onLoss). Totals
 * count what is still in memory.
 *
 * It also keeps the fleet's budget holds (SharedBudget): a hold is checked against the tenant's recorded spend and
 * every live hold in one script, and dropped by the write that applies the entry settling it.
 */
export class RedisSpendLedger implements SpendLedger, SharedBudget {
  private readonly keys: SpendKeys;
  private readonly retentionSeconds: number;
  private readonly flushMs: number;
  private readonly timeoutMs: number;
  private readonly holdTimeoutMs: number;
  private readonly holdTtlMs: number;
  private readonly breaker: CircuitBreaker;
  private readonly books: SpendBooks;
  private readonly knownTenants = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;
  /** Entries (and their cost) the ledger could not keep, since it was made. */
  readonly lost = { entries: 0, costUsd: 0 };

  /**
   * @param client a connected or connecting ioredis client; left open by close() unless `owned`.
   * @param owned whether close() should quit the client (true for the ones made by fromUrl/fromCluster).
   */
  constructor(
    private readonly client: Redis | Cluster,
    private readonly options: RedisSpendLedgerOptions = {},
    private readonly owned = false,
  ) {
    this.keys = new SpendKeys(options.prefix ?? 'nc:spend:v1');
    this.retentionSeconds = Math.round((options.retentionDays ?? 400) * 86_400);
    this.flushMs = options.flushMs ?? 200;
    this.timeoutMs = options.timeoutMs ?? 250;
    this.holdTimeoutMs = options.holdTimeoutMs ?? 1000;
    const maxPendingCells = options.maxPendingCells ?? 100_000;
    this.holdTtlMs = options.holdTtlMs ?? 600_000;
    this.breaker = new CircuitBreaker(options.breaker);
    const bad = (name: string, rule: string, value: unknown) =>
      new NovaCostError('configuration', `RedisSpendLedger ${name} must be ${rule}, got ${String(value)}`);
    if (!(this.retentionSeconds > 0)) throw bad('retentionDays', '> 0', options.retentionDays);
    for (const [name, value] of [
      ['flushMs', this.flushMs],
      ['timeoutMs', this.timeoutMs],
      ['holdTimeoutMs', this.holdTimeoutMs],
      ['holdTtlMs', this.holdTtlMs],
    ] as const) {
      if (!(Number.isFinite(value) && value > 0)) throw bad(name, 'a number > 0', value);
    }
    if (!(Number.isInteger(maxPendingCells) && maxPendingCells >= 0))
      throw bad('maxPendingCells', 'an integer >= 0', options.maxPendingCells);
    this.books = new SpendBooks(maxPendingCells);
  }

  /** A ledger on its own fail-open connection to `url`. Does not wait for the connection. */
  static fromUrl(url: string, options: RedisSpendLedgerOptions & RedisConnectOptions = {}): RedisSpendLedger {
    return new RedisSpendLedger(
      failOpenRedis(url, { commandTimeoutMs: backstopMs(options), ...options }),
      options,
      true,
    );
  }

  /** A ledger on its own fail-open Redis Cluster client. Does not wait for the cluster. */
  static fromCluster(
    nodes: readonly ClusterNode[],
    options: RedisSpendLedgerOptions & RedisConnectOptions = {},
  ): RedisSpendLedger {
    return new RedisSpendLedger(
      failOpenCluster(nodes, { commandTimeoutMs: backstopMs(options), ...options }),
      options,
      true,
    );
  }

  /** Entries recorded but not yet acknowledged by Redis. */
  get pendingEntries(): number {
    return this.books.unwritten().entries;
  }

  async record(entry: SpendEntry): Promise<void> {
    checkSpendEntry(entry);
    if (this.closed) return this.lose(1, entry.costUsd, 'closed');
    if (!this.books.add(entry)) return this.lose(1, entry.costUsd, 'hold-full');
    this.schedule();
  }

  async hold(tenantId: string, amountUsd: number, limits: readonly BudgetLimit[]): Promise<BudgetHoldAnswer> {
    const fields = limits.flatMap((l) => [
      l.period === 'daily' ? `d:${isoDay(epochDay(l.start))}` : `m:${l.start.toISOString().slice(0, 7)}`,
      String(l.limitUsd),
    ]);
    const reply = (await this.call(
      () =>
        this.client.eval(
          HOLD_SCRIPT,
          2,
          this.keys.of(tenantId, 'totals'),
          this.keys.of(tenantId, 'holds'),
          String(amountUsd),
          this.holdTtlMs,
          randomUUID(),
          limits.length,
          ...fields,
        ),
      false,
      this.holdTimeoutMs,
    )) as [1, string] | [0, number, string, string];
    if (reply[0] === 1) return { held: true, holdId: reply[1] };
    const limit = limits[reply[1]] as BudgetLimit;
    return { held: false, period: limit.period, spentUsd: Number(reply[2]), heldUsd: Number(reply[3]) };
  }

  release(tenantId: string, holdId: string): void {
    this.books.release(tenantId, holdId);
    this.schedule();
  }

  async totals(query: SpendQuery, groupBy?: SpendDimension): Promise<{ total: SpendSummary; groups: SpendGroup[] }> {
    if (this.breaker.state === 'open')
      throw new NovaCostError('upstream-unavailable', 'the spend ledger (Redis) is failing; it is retried shortly');
    const tenants = new Set(
      query.tenantId !== undefined
        ? [query.tenantId]
        : [...(await this.call(() => this.client.smembers(this.keys.tenants))), ...this.books.tenants()],
    );
    const rows: SpendRow[] = [];
    await Promise.all([...tenants].map(async (tenantId) => rows.push(...(await this.rowsOf(tenantId, query)))));
    return tallySpend(
      rows.filter(
        (r) =>
          (query.modelId === undefined || r.modelId === query.modelId) &&
          (query.category === undefined || r.category === query.category),
      ),
      groupBy,
    );
  }

  /** Writes what every tenant recorded since the last write. A write already running is joined, not repeated. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    // Assigned before the write can finish (finally always runs later), so a finished flush never stays in place.
    const run = this.writeAll(false).finally(() => {
      this.flushing = undefined;
    });
    this.flushing = run;
    return run;
  }

  /**
   * Stops the interval and writes what is left, retrying until Redis takes it or `timeoutMs` runs out; what could not
   * be written is reported to onLoss. Resolves within `timeoutMs` (a tenth of it, 100 ms at most, is kept for the
   * report). Then quits a connection it opened itself.
   */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
    const end = performance.now() + timeoutMs - Math.min(100, timeoutMs / 10);
    const left = () => Math.max(0, end - performance.now());
    while (this.books.hasWork() && left() > 0) {
      // A write in progress finishes first; a stalled Redis cannot hold the loop past the deadline.
      const attempt = (this.flushing ?? Promise.resolve()).then(() => this.writeAll(true));
      await Promise.race([attempt, delay(left(), undefined, { ref: false })]);
      if (this.books.hasWork() && left() > 0) await delay(Math.min(50, left()), undefined, { ref: false });
    }
    const { entries, costUsd } = this.books.unwritten();
    if (entries > 0) this.lose(entries, costUsd, 'shutdown');
    if (this.owned) this.client.disconnect();
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer ??= setInterval(() => void this.flush(), this.flushMs).unref();
  }

  private lose(entries: number, costUsd: number, reason: SpendLoss['reason']): void {
    this.lost.entries += entries;
    this.lost.costUsd += costUsd;
    this.options.onLoss?.({ entries, costUsd, reason });
  }

  private async writeAll(force: boolean): Promise<void> {
    const due = this.books.due();
    if (due.length === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    await Promise.all(due.map((book) => this.write(book, force)));
    const fresh = due.filter((b) => !b.sending && !this.knownTenants.has(b.tenantId)).map((b) => b.tenantId);
    // The tenants set lives in another Cluster slot; only queries over all tenants read it, so it may lag a write.
    if (fresh.length > 0 && (force || this.breaker.allow())) {
      await this.call(() => this.client.sadd(this.keys.tenants, ...fresh), force).then(
        () => fresh.forEach((t) => this.knownTenants.add(t)),
        () => undefined, // the next write tries again
      );
    }
  }

  /** Writes one tenant's batch (and deletes the markers of its applied batches). Never rejects: a failure is retried at the next interval. */
  private async write(book: Book, force: boolean): Promise<void> {
    if (!force && !this.breaker.allow()) return;
    const batch = book.sending;
    const forget = book.forget.slice();
    try {
      if (batch) {
        batch.sent = true; // from here on it may be applied: totals() asks Redis whether it was
        const { days, totals } = batch.increments();
        const payload = JSON.stringify({ d: days.map((d) => [d.day, d.fields]), t: totals, r: batch.releases });
        const keys = [
          this.keys.of(book.tenantId, `applied:${batch.id}`),
          this.keys.of(book.tenantId, 'days'),
          this.keys.of(book.tenantId, 'totals'),
          this.keys.of(book.tenantId, 'holds'),
        ];
        keys.push(
          ...days.map((d) => this.keys.day(book.tenantId, d.day)),
          ...forget.map((id) => this.keys.of(book.tenantId, `applied:${id}`)),
        );
        await this.call(
          () =>
            this.client.eval(
              WRITE_SCRIPT,
              keys.length,
              ...keys,
              this.retentionSeconds,
              MARKER_SECONDS,
              days.length,
              forget.length,
              payload,
            ),
          force,
        );
        this.books.written(book, batch);
      } else {
        await this.call(
          () => this.client.del(...forget.map((id) => this.keys.of(book.tenantId, `applied:${id}`))),
          force,
        );
      }
      book.forget.splice(0, forget.length);
      if (batch) book.forget.push(batch.id);
    } catch {
      // Redis failed or stalled: the breaker counted it; the batch stays, and is retried as it is
    }
  }

  /** The rows of one tenant: Redis' days in the range, plus what is still in memory and not in Redis. */
  private async rowsOf(tenantId: string, query: SpendQuery): Promise<SpendRow[]> {
    // Taken in the same tick as the read is sent: a write sent later reaches Redis after the read.
    const book = this.books.get(tenantId);
    const local = [book?.open, book?.sending].filter((b): b is SpendBatch => b !== undefined && b.entries > 0);
    const unsure = book?.sending?.sent ? book.sending : undefined;
    const keys = [this.keys.of(tenantId, 'days'), ...(unsure ? [this.keys.of(tenantId, `applied:${unsure.id}`)] : [])];
    const from = query.from ? String(epochDay(query.from)) : '-inf';
    const to = query.to ? `(${Math.ceil(query.to.getTime() / 86_400_000)}` : '+inf';
    const reply = (await this.call(() =>
      this.client.eval(READ_SCRIPT, keys.length, ...keys, from, to, this.keys.tenantPrefix(tenantId)),
    )) as [number, ...(string | string[])[]];
    const rows: SpendRow[] = [];
    for (let i = 1; i < reply.length; i += 2) {
      const flat = reply[i + 1] as string[];
      const hash: Record<string, string> = {};
      for (let j = 0; j < flat.length; j += 2) hash[flat[j] as string] = flat[j + 1] as string;
      rows.push(...rowsOfDay(tenantId, isoDay(Number(reply[i])), hash));
    }
    const fromDay = query.from ? epochDay(query.from) : Number.NEGATIVE_INFINITY;
    const toDay = query.to ? Math.ceil(query.to.getTime() / 86_400_000) : Number.POSITIVE_INFINITY;
    for (const batch of local) {
      if (batch === unsure && reply[0] === 1) continue; // applied: already in Redis' rows
      for (const row of batch.rows(tenantId)) {
        const day = epochDay(new Date(row.day));
        if (day >= fromDay && day < toDay) rows.push(row);
      }
    }
    return rows;
  }

  /** One Redis call under the breaker and a loop-aware deadline; a failure is counted and rethrown as upstream-unavailable. */
  private async call<T>(command: () => Promise<T>, force = false, timeoutMs = this.timeoutMs): Promise<T> {
    if (!force && this.breaker.state === 'open')
      throw new NovaCostError('upstream-unavailable', 'the spend ledger (Redis) is failing; it is retried shortly');
    try {
      const value = await withinLoopAwareDeadline(command(), timeoutMs, 'the spend ledger (Redis)');
      this.breaker.success();
      return value;
    } catch (error) {
      this.breaker.failure();
      throw new NovaCostError('upstream-unavailable', 'the spend ledger (Redis) did not answer', { cause: error });
    }
  }
}

/** ioredis' own command timeout: only a backstop that frees commands of a stalled Redis; the ledger judges latency itself. */
function backstopMs(options: RedisSpendLedgerOptions): number {
  return Math.max(1000, 4 * (options.timeoutMs ?? 250), 2 * (options.holdTimeoutMs ?? 1000));
}
