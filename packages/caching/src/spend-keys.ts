import { isoDay } from './spend-batch';

/**
 * Where the Redis spend ledger keeps things: a tenant's keys share one Cluster slot (`{tenant}`, the tenant id
 * percent-encoded), so one script reads or writes all of them; the set of tenants lives apart.
 */
export class SpendKeys {
  /** @param prefix of every key, e.g. 'nc:spend:v1' */
  constructor(private readonly prefix: string) {}

  /** The set of tenants that have spend (read by queries over every tenant). */
  get tenants(): string {
    return `${this.prefix}:tenants`;
  }

  /** What every key of `tenantId` starts with (the read script finds its days under it). */
  tenantPrefix(tenantId: string): string {
    return `${this.prefix}:{${encodeURIComponent(tenantId)}}:`;
  }

  /** A key of `tenantId`: 'days', 'totals', 'holds', `applied:<batch id>`. */
  of(tenantId: string, suffix: string): string {
    return this.tenantPrefix(tenantId) + suffix;
  }

  /** The hash of a tenant's spend on one UTC day (days since the epoch). */
  day(tenantId: string, day: number): string {
    return this.of(tenantId, isoDay(day));
  }
}
