import type { PlannedInvocation } from '@nova-cost/domain';
import { AdaptiveRate } from './adaptive-rate';
import type { DispatchUnit } from './batch-job';
import type { ResolvedOptions } from './batching-invoker.options';
import { QuotaRegistry } from './quota-registry';

/**
 * What lets a call start: its model's configured quota (tokens reserved, settled with the real usage) and the pace
 * learnt from throttling (AdaptiveRate), per limit key. Never waits itself: the scheduler asks, and retries when told.
 */
export class CallGate {
  private readonly quotas: QuotaRegistry;
  /** Keys are bounded (see QuotaRegistry.keyOf), so is this map. */
  private readonly rates = new Map<string, AdaptiveRate>();

  constructor(
    private readonly options: Pick<ResolvedOptions, 'quotas' | 'defaultOutputTokenEstimate' | 'adaptiveRate' | 'now'>,
  ) {
    this.quotas = new QuotaRegistry(options);
  }

  /** The limit key of calls to `modelId`. */
  keyOf(modelId: string): string {
    return this.quotas.keyOf(modelId);
  }

  /**
   * 0 when the unit may start now (its pace slot and quota tokens taken, `unit.reserved` and `unit.startedAt` set),
   * else the milliseconds until it may.
   */
  admit(unit: DispatchUnit, requests: readonly PlannedInvocation[]): number {
    const rate = this.rateOf(unit.key);
    const paced = rate?.take() ?? 0;
    if (paced > 0) return paced;
    unit.startedAt = this.options.now();
    const quota = this.quotas.quotaOfKey(unit.key);
    if (!quota) return 0;
    const tokens = quota.reservation(this.quotas.estimateTokens(requests));
    const wait = quota.take(tokens);
    if (wait === 0) unit.reserved = tokens;
    else rate?.untake();
    return wait;
  }

  /** Corrects the quota with what the unit's attempt used; true when tokens went back (a waiting call may start). */
  settle(unit: DispatchUnit, usedTokens: number): boolean {
    const quota = this.quotas.quotaOfKey(unit.key);
    const gaveBack = quota !== undefined && unit.reserved > 0 && usedTokens < unit.reserved;
    if (quota && unit.reserved > 0) quota.settle(unit.reserved, usedTokens);
    unit.reserved = 0;
    return gaveBack;
  }

  /** The outcome of the unit's attempt, for the pace: answered, or throttled by the upstream. */
  record(unit: DispatchUnit, throttled: boolean): void {
    this.rateOf(unit.key)?.record(throttled, unit.startedAt ?? 0);
  }

  /** Whether calls of the key are paced now (a throttle then waits for a turn rather than spending retries). */
  pacing(key: string): boolean {
    return this.rateOf(key)?.pacing ?? false;
  }

  private rateOf(key: string): AdaptiveRate | undefined {
    const options = this.options.adaptiveRate;
    if (options === false) return undefined;
    let rate = this.rates.get(key);
    if (!rate) {
      rate = new AdaptiveRate(options, this.options.now);
      this.rates.set(key, rate);
    }
    return rate;
  }
}
