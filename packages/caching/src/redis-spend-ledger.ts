import type { Cluster, ClusterNode, Redis } from 'ioredis';
import type { CostCategory, SavingStrategy, SpendDimension, SpendEntry, SpendGroup, SpendLedger, SpendQuery, SpendRow, SpendSummary, StrategyTally } from '@nova-cost/domain';
import { checkSpendEntry, NovaCostError, SAVING_STRATEGIES, tallySpend } from '@nova-cost/domain';
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
}

const DAY_MS = 86_400_000;
const epochDay = (d: Date) => Math.floor(d.getTime() / DAY_MS);
const isoDay = (n: number) => new Date(n * DAY_MS).toISOString().slice(0, 10);
const enc = encodeURIComponent;

/**
 * The spend ledger in Redis (single node or Cluster), shared by every gateway process, so budgets and `/costs` see
 * the whole fleet. It keeps totals per tenant, UTC day, model and category (not single entries): a query's time
 * range counts whole UTC days, from the day `from` falls in to the last day that starts before `to`.
 *
 * Keys carry the tenant as a hash tag, so a tenant's keys share a Cluster slot and one entry is written in one
 * MULTI. While Redis is down, `record()` holds entries in memory and writes them once it answers again; `totals()`
 * fails with 'upstream-unavailable'.
 */
export class RedisSpendLedger implements SpendLedger {
  private readonly prefix: string;
  private readonly retentionSeconds: number;
  private readonly maxPending: number;
  private readonly pending: SpendEntry[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private readonly knownTenants = new Set<string>();
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
    if (this.pending.length > 0) {
      this.hold(entry); // keep the order: older held entries go first
      return;
    }
    try {
      await this.write(entry);
    } catch {
      this.hold(entry);
    }
  }

  async totals(query: SpendQuery, groupBy?: SpendDimension): Promise<{ total: SpendSummary; groups: SpendGroup[] }> {
    try {
      const tenants = query.tenantId !== undefined ? [query.tenantId] : await this.client.smembers(`${this.prefix}:tenants`);
      const rows: SpendRow[] = [];
      for (const tenantId of tenants) rows.push(...(await this.rowsOf(tenantId, query)));
      return tallySpend(rows, groupBy);
    } catch (error) {
      throw new NovaCostError('upstream-unavailable', 'the spend ledger (Redis) did not answer', { cause: error });
    }
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

  private daysKey(tenantId: string): string {
    return `${this.prefix}:{${enc(tenantId)}}:days`;
  }

  private async write(entry: SpendEntry): Promise<void> {
    const day = epochDay(entry.at);
    const key = this.dayKey(entry.tenantId, day);
    const cell = `${enc(entry.modelId)}|${entry.category}`;
    const tx = this.client.multi();
    tx.hincrby(key, `${cell}|calls`, 1);
    if (entry.costUsd > 0) tx.hincrbyfloat(key, `${cell}|cost`, entry.costUsd);
    const saved = new Map<SavingStrategy, number>();
    for (const s of entry.savings) saved.set(s.strategy, (saved.get(s.strategy) ?? 0) + s.usd);
    for (const [strategy, usd] of saved) {
      tx.hincrbyfloat(key, `${cell}|${strategy}|usd`, usd);
      tx.hincrby(key, `${cell}|${strategy}|calls`, 1);
      if (entry.costUsd > 0) tx.hincrbyfloat(key, `${cell}|${strategy}|cost`, entry.costUsd);
    }
    tx.expire(key, this.retentionSeconds);
    tx.zadd(this.daysKey(entry.tenantId), day, String(day));
    tx.expire(this.daysKey(entry.tenantId), this.retentionSeconds);
    const results = await tx.exec();
    const failed = results?.find(([error]) => error);
    if (!results || failed) throw failed?.[0] ?? new Error('the MULTI was discarded');
    // Another slot in a Cluster: outside the MULTI. Only queries over all tenants read it.
    if (!this.knownTenants.has(entry.tenantId)) {
      await this.client.sadd(`${this.prefix}:tenants`, entry.tenantId);
      this.knownTenants.add(entry.tenantId);
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

  private hold(entry: SpendEntry): void {
    if (this.pending.length >= this.maxPending) {
      this.pending.shift();
      this.dropped += 1;
    }
    this.pending.push(entry);
    this.retryTimer ??= setInterval(() => void this.flush(), this.options.retryMs ?? 1000).unref();
  }

  /** Writes held entries in order until one fails (Redis still down) or none is left. */
  private flush(): Promise<void> {
    this.flushing ??= (async () => {
      try {
        while (this.pending.length > 0) {
          await this.write(this.pending[0] as SpendEntry);
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
  const cells = new Map<string, { calls: number; costUsd: number; saved: Partial<Record<SavingStrategy, { usd: number; calls: number; costUsd: number }>> }>();
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
    };
  });
}
