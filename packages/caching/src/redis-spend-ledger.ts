import { randomUUID } from 'node:crypto';
import type { Cluster, ClusterNode, Redis } from 'ioredis';
import type { CostCategory, SavingStrategy, SpendDimension, SpendEntry, SpendGroup, SpendLedger, SpendQuery, SpendRow, SpendSummary, StrategyTally } from '@nova-cost/domain';
import { checkSpendEntry, NovaCostError, SAVING_STRATEGIES, spendRow, tallySpend } from '@nova-cost/domain';
import type { CircuitBreakerOptions } from './circuit-breaker';
import { CircuitBreaker } from './circuit-breaker';
import type { RedisConnectOptions } from './redis-connection';
import { failOpenCluster, failOpenRedis } from './redis-connection';

export interface RedisSpendLedgerOptions {
  /** Prefix of every key. @default 'nc:spend:v1' */
  readonly prefix?: string;
  /** Days a day's totals are kept after its last entry. @default 400 */
  readonly retentionDays?: number;
  /** Entries held in memory while Redis cannot take them, written once it can; past it the oldest go. @default 100000 */
  readonly maxPending?: number;
  /** Interval of the retries that write held entries. @default 1000 */
  readonly retryMs?: number;
  /**
   * Stops calling a Redis that keeps failing or stalling: entries are then held at once and queries fail at once,
   * so a stalled Redis costs at most a few command timeouts, not one per request. @default { failureThreshold: 5, openMs: 1000 }
   */
  readonly breaker?: CircuitBreakerOptions;
}

const DAY_MS = 86_400_000;

/** An entry with the id that makes its write idempotent. */
interface Held {
  readonly entry: SpendEntry;
  readonly id: string;
  /** A write of it failed: it may still have been applied (an answer lost to a timeout). */
  attempted?: boolean;
}

/**
 * KEYS: day hash, days sorted set, applied-id marker. ARGV: retention seconds, epoch day, then field/increment pairs
 * (`…|calls` fields count, the others are USD). Applies them only the first time the id is seen (the marker lives a
 * day: long enough for retries).
 */
const WRITE_SCRIPT = `
if not redis.call('set', KEYS[3], '1', 'NX', 'EX', 86400) then return 0 end
for i = 3, #ARGV, 2 do
  if string.sub(ARGV[i], -6) == '|calls' then redis.call('hincrby', KEYS[1], ARGV[i], ARGV[i + 1])
  else redis.call('hincrbyfloat', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
redis.call('expire', KEYS[1], ARGV[1])
redis.call('zadd', KEYS[2], ARGV[2], ARGV[2])
redis.call('expire', KEYS[2], ARGV[1])
return 1`;
const epochDay = (d: Date) => Math.floor(d.getTime() / DAY_MS);
const isoDay = (n: number) => new Date(n * DAY_MS).toISOString().slice(0, 10);
const enc = encodeURIComponent;

/**
 * The spend ledger in Redis (single node or Cluster), shared by every gateway process, so budgets and `/costs` see
 * the whole fleet. It keeps totals per tenant, UTC day, model and category (not single entries): a query's time
 * range counts whole UTC days, from the day `from` falls in to the last day that starts before `to`.
 *
 * Keys carry the tenant as a hash tag, so a tenant's keys share a Cluster slot and one entry is applied by one script,
 * once: each entry has an id, so a retry of a write whose answer timed out changes nothing. While Redis is down,
 * `record()` holds entries in memory (counted by `totals()` once Redis answers) and writes them when it can;
 * `totals()` fails with 'upstream-unavailable' while it cannot read Redis.
 */
export class RedisSpendLedger implements SpendLedger {
  private readonly prefix: string;
  private readonly retentionSeconds: number;
  private readonly maxPending: number;
  private readonly pending: Held[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  /** True while flush() writes pending[0]: that entry must not be dropped under it. */
  private writingHead = false;
  private readonly knownTenants = new Set<string>();
  private readonly breaker: CircuitBreaker;
  /** Entries dropped because the in-memory hold was full while Redis was down. */
  dropped = 0;

  /**
   * @param client a connected or connecting ioredis client; left open by close() unless `owned`.
   * @param owned whether close() should quit the client (true for the ones made by fromUrl/fromCluster).
   */
  constructor(
    private readonly client: Redis | Cluster,
    private readonly options: RedisSpendLedgerOptions = {},
    private readonly owned = false,
  ) {
    this.prefix = options.prefix ?? 'nc:spend:v1';
    this.retentionSeconds = Math.round((options.retentionDays ?? 400) * 86_400);
    this.maxPending = options.maxPending ?? 100_000;
    this.breaker = new CircuitBreaker(options.breaker);
    if (!(this.retentionSeconds > 0)) throw new NovaCostError('configuration', `RedisSpendLedger retentionDays must be > 0, got ${options.retentionDays}`);
    if (!(Number.isInteger(this.maxPending) && this.maxPending >= 0)) throw new NovaCostError('configuration', `RedisSpendLedger maxPending must be an integer >= 0, got ${options.maxPending}`);
  }

  /** A ledger on its own fail-open connection to `url`. Does not wait for the connection. */
  static fromUrl(url: string, options: RedisSpendLedgerOptions & RedisConnectOptions = {}): RedisSpendLedger {
    return new RedisSpendLedger(failOpenRedis(url, { commandTimeoutMs: 250, ...options }), options, true);
  }

  /** A ledger on its own fail-open Redis Cluster client. Does not wait for the cluster. */
  static fromCluster(nodes: readonly ClusterNode[], options: RedisSpendLedgerOptions & RedisConnectOptions = {}): RedisSpendLedger {
    return new RedisSpendLedger(failOpenCluster(nodes, { commandTimeoutMs: 250, ...options }), options, true);
  }

  /** Entries waiting in memory for Redis. */
  get pendingEntries(): number {
    return this.pending.length;
  }

  async record(entry: SpendEntry): Promise<void> {
    checkSpendEntry(entry);
    const held: Held = { entry, id: randomUUID() };
    // Older held entries go first; an open circuit means Redis is failing: hold without waiting for it.
    if (this.pending.length > 0 || !this.breaker.allow()) {
      this.hold(held);
      return;
    }
    try {
      await this.write(held);
      this.breaker.success();
    } catch {
      this.breaker.failure();
      held.attempted = true; // the write may have landed before its answer timed out: its id makes the retry a no-op
      this.hold(held);
    }
  }

  async totals(query: SpendQuery, groupBy?: SpendDimension): Promise<{ total: SpendSummary; groups: SpendGroup[] }> {
    const fromDay = query.from ? epochDay(query.from) : Number.NEGATIVE_INFINITY;
    const toDay = query.to ? Math.ceil(query.to.getTime() / DAY_MS) : Number.POSITIVE_INFINITY;
    const matching = (e: SpendEntry) =>
      (query.tenantId === undefined || e.tenantId === query.tenantId) &&
      (query.modelId === undefined || e.modelId === query.modelId) &&
      (query.category === undefined || e.category === query.category) &&
      epochDay(e.at) >= fromDay &&
      epochDay(e.at) < toDay;
    const rows: SpendRow[] = [];
    if (this.breaker.state === 'open') throw new NovaCostError('upstream-unavailable', 'the spend ledger (Redis) is failing; it is retried shortly');
    try {
      const tenants = query.tenantId !== undefined ? [query.tenantId] : await this.client.smembers(`${this.prefix}:tenants`);
      for (const tenantId of tenants) rows.push(...(await this.rowsOf(tenantId, query)));
      // Entries held through an outage are spend too. One whose write landed although its answer was lost is already
      // in the rows: its applied-marker says so. Only entries whose write was tried can be in that case.
      const held = this.pending.filter((h) => matching(h.entry));
      const tried = held.filter((h) => h.attempted);
      const applied = await Promise.all(tried.map((h) => this.client.exists(this.appliedKey(h))));
      const landed = new Set(tried.filter((_, i) => applied[i] === 1));
      for (const h of held) if (!landed.has(h)) rows.push(spendRow(h.entry));
    } catch (error) {
      throw new NovaCostError('upstream-unavailable', 'the spend ledger (Redis) did not answer', { cause: error });
    }
    return tallySpend(rows, groupBy);
  }

  /** Writes what is held (within `timeoutMs`), stops retrying and quits a connection it opened itself. */
  async close(timeoutMs = 2000): Promise<void> {
    clearInterval(this.retryTimer);
    this.retryTimer = undefined;
    if (this.pending.length > 0) await Promise.race([this.flush(), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    if (this.owned) this.client.disconnect();
  }

  private dayKey(tenantId: string, day: number): string {
    return `${this.prefix}:{${enc(tenantId)}}:${isoDay(day)}`;
  }

  /** Set by the write script when it applies the entry: a retry finds it and changes nothing. */
  private appliedKey({ entry, id }: Held): string {
    return `${this.prefix}:{${enc(entry.tenantId)}}:applied:${id}`;
  }

  private daysKey(tenantId: string): string {
    return `${this.prefix}:{${enc(tenantId)}}:days`;
  }

  /** Applies one entry once: a retry of an entry already applied (its id seen) changes nothing. */
  private async write(held: Held): Promise<void> {
    const { entry } = held;
    const day = epochDay(entry.at);
    const cell = `${enc(entry.modelId)}|${entry.category}`;
    const increments: (string | number)[] = [`${cell}|calls`, 1];
    if (entry.costUsd > 0) increments.push(`${cell}|cost`, entry.costUsd);
    if (entry.unpriced) increments.push(`${cell}|unpriced|calls`, 1, `${cell}|unpriced|in`, entry.unpriced.inputTokens, `${cell}|unpriced|out`, entry.unpriced.outputTokens);
    for (const [strategy, saved] of Object.entries(spendRow(entry).savedByStrategy) as [SavingStrategy, StrategyTally][]) {
      increments.push(`${cell}|${strategy}|usd`, saved.usd, `${cell}|${strategy}|calls`, saved.calls);
      if (saved.costUsd > 0) increments.push(`${cell}|${strategy}|cost`, saved.costUsd);
    }
    // The three keys share the tenant's hash tag, so one script applies them in one Cluster slot.
    await this.client.eval(WRITE_SCRIPT, 3, this.dayKey(entry.tenantId, day), this.daysKey(entry.tenantId), this.appliedKey(held), this.retentionSeconds, day, ...increments);
    // Another slot in a Cluster, outside the script. Only queries over all tenants read it; a failure here must not
    // make the (applied) entry look unwritten, so it is retried with the tenant's next entry instead.
    if (!this.knownTenants.has(entry.tenantId)) {
      try {
        await this.client.sadd(`${this.prefix}:tenants`, entry.tenantId);
        this.knownTenants.add(entry.tenantId);
      } catch {
        // the next entry of this tenant tries again
      }
    }
  }

  private async rowsOf(tenantId: string, query: SpendQuery): Promise<SpendRow[]> {
    const from = query.from ? epochDay(query.from) : '-inf';
    const to = query.to ? `(${Math.ceil(query.to.getTime() / DAY_MS)}` : '+inf';
    const days = (await this.client.zrangebyscore(this.daysKey(tenantId), from, to)).map(Number);
    if (days.length === 0) return [];
    const pipeline = this.client.pipeline();
    for (const day of days) pipeline.hgetall(this.dayKey(tenantId, day));
    const hashes = (await pipeline.exec()) ?? [];
    const rows: SpendRow[] = [];
    days.forEach((day, i) => {
      const [error, hash] = hashes[i] ?? [new Error('no answer')];
      if (error) throw error;
      for (const row of rowsOfDay(tenantId, isoDay(day), hash as Record<string, string>)) {
        if (query.modelId !== undefined && row.modelId !== query.modelId) continue;
        if (query.category !== undefined && row.category !== query.category) continue;
        rows.push(row);
      }
    });
    return rows;
  }

  private hold(held: Held): void {
    if (this.maxPending === 0) {
      this.dropped += 1;
      return;
    }
    if (this.pending.length >= this.maxPending) {
      // The oldest goes, unless flush() is writing it right now: then the next oldest.
      const victim = this.writingHead && this.pending.length > 1 ? 1 : this.writingHead ? -1 : 0;
      if (victim === -1) {
        this.dropped += 1;
        return;
      }
      this.pending.splice(victim, 1);
      this.dropped += 1;
    }
    this.pending.push(held);
    this.retryTimer ??= setInterval(() => void this.flush(), this.options.retryMs ?? 1000).unref();
  }

  /** Writes held entries in order until one fails (Redis still down) or none is left. */
  private flush(): Promise<void> {
    this.flushing ??= (async () => {
      try {
        while (this.pending.length > 0) {
          if (!this.breaker.allow()) return; // the next tick probes again
          this.writingHead = true;
          try {
            await this.write(this.pending[0] as Held);
            this.breaker.success();
          } catch (error) {
            this.breaker.failure();
            (this.pending[0] as Held).attempted = true;
            throw error;
          } finally {
            this.writingHead = false;
          }
          this.pending.shift();
        }
        clearInterval(this.retryTimer);
        this.retryTimer = undefined;
      } catch {
        // still down: the next tick tries again
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }
}

/** The rows of one stored day: one per model and category cell. */
function rowsOfDay(tenantId: string, day: string, hash: Record<string, string>): SpendRow[] {
  const cells = new Map<string, { calls: number; costUsd: number; saved: Partial<Record<SavingStrategy, { usd: number; calls: number; costUsd: number }>>; unpriced?: { calls: number; inputTokens: number; outputTokens: number } }>();
  for (const [field, raw] of Object.entries(hash)) {
    const parts = field.split('|');
    const value = Number(raw);
    if (!Number.isFinite(value)) continue;
    const cellKey = `${parts[0]}|${parts[1]}`;
    let cell = cells.get(cellKey);
    if (!cell) cells.set(cellKey, (cell = { calls: 0, costUsd: 0, saved: {} }));
    if (parts.length === 3) {
      if (parts[2] === 'calls') cell.calls = value;
      else if (parts[2] === 'cost') cell.costUsd = value;
    } else if (parts.length === 4 && parts[2] === 'unpriced') {
      const u = (cell.unpriced ??= { calls: 0, inputTokens: 0, outputTokens: 0 });
      if (parts[3] === 'calls') u.calls = value;
      else if (parts[3] === 'in') u.inputTokens = value;
      else if (parts[3] === 'out') u.outputTokens = value;
    } else if (parts.length === 4 && (SAVING_STRATEGIES as readonly string[]).includes(parts[2] as string)) {
      const strategy = parts[2] as SavingStrategy;
      const tally = (cell.saved[strategy] ??= { usd: 0, calls: 0, costUsd: 0 });
      if (parts[3] === 'usd') tally.usd = value;
      else if (parts[3] === 'calls') tally.calls = value;
      else if (parts[3] === 'cost') tally.costUsd = value;
    }
  }
  return [...cells.entries()].map(([cellKey, cell]) => {
    const [model, category] = cellKey.split('|') as [string, string];
    return {
      tenantId,
      modelId: decodeURIComponent(model),
      category: category as CostCategory,
      day,
      calls: cell.calls,
      costUsd: cell.costUsd,
      savedByStrategy: cell.saved as Partial<Record<SavingStrategy, StrategyTally>>,
      ...(cell.unpriced ? { unpriced: cell.unpriced } : {}),
    };
  });
}
