import { findModel, requestFeatures, resolveModelId } from '@nova-cost/domain';
import type { PlannedInvocation, TokenUsage } from '@nova-cost/domain';
import { AdaptiveRate } from './adaptive-rate';
import type { DispatchUnit } from './batch-job';
import type { ResolvedOptions } from './batching-invoker.options';
import { ModelQuota } from './model-quota';

/** Tokens a call counts against tokens-per-minute once its usage is known. */
export const usedTokens = (u: TokenUsage): number =>
  u.inputTokens + u.outputTokens + u.cacheReadInputTokens + u.cacheWriteInputTokens;

/**
 * What lets a call start: its model's configured quota (tokens reserved, settled with the real usage) and the pace
 * learnt from throttling (AdaptiveRate), per limit key (the base model, see keyOf). Never waits itself: the scheduler
 * asks, and retries when told.
 */
export class CallGate {
  /** The quota of each key, made on first use from the configured limits (null: no limit applies). */
  private readonly quotas = new Map<string, ModelQuota | null>();
  /** Keys are bounded (see keyOf), so is this map. */
  private readonly rates = new Map<string, AdaptiveRate>();

  constructor(
    private readonly options: Pick<ResolvedOptions, 'quotas' | 'defaultOutputTokenEstimate' | 'adaptiveRate' | 'now'>,
  ) {}

  /**
   * The key of the limits a call to `modelId` counts against: the base model for ids in the catalog or the configured
   * quotas, else '*' (shared by every id outside them, so ids sent by callers cannot grow any map without bound).
   */
  keyOf(modelId: string): string {
    const byModel = this.options.quotas.byModel;
    if (Object.hasOwn(byModel, modelId)) return modelId;
    try {
      const base = resolveModelId(modelId).baseModelId;
      if (Object.hasOwn(byModel, base) || findModel(base)) return base;
    } catch {
      // Not a model id: the next link reports it.
    }
    return '*';
  }

  /** The quota calls to `modelId` count against (its profiles and ARNs share it), or undefined when none applies. */
  quotaFor(modelId: string): ModelQuota | undefined {
    return this.quotaOfKey(this.keyOf(modelId));
  }

  /** Tokens to reserve: the prompt estimate plus the output cap (or a default); embeddings produce none. */
  estimateTokens(requests: readonly PlannedInvocation[]): number {
    let total = 0;
    for (const request of requests) {
      let embedding = false;
      try {
        embedding = findModel(request.modelId)?.kind === 'embedding';
      } catch {
        // unknown id: estimate as text
      }
      const features = requestFeatures(request);
      total +=
        features.estimatedInputTokens +
        (embedding ? 0 : (features.maxOutputTokens ?? this.options.defaultOutputTokenEstimate));
    }
    return total;
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
    const quota = this.quotaOfKey(unit.key);
    if (!quota) return 0;
    const tokens = quota.reservation(this.estimateTokens(requests));
    const wait = quota.take(tokens);
    if (wait === 0) unit.reserved = tokens;
    else rate?.untake();
    return wait;
  }

  /** Corrects the quota with what the unit's attempt used; true when tokens went back (a waiting call may start). */
  settle(unit: DispatchUnit, usedTokens: number): boolean {
    const quota = this.quotaOfKey(unit.key);
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

  private quotaOfKey(key: string): ModelQuota | undefined {
    let quota = this.quotas.get(key);
    if (quota === undefined) {
      const limit =
        (Object.hasOwn(this.options.quotas.byModel, key) ? this.options.quotas.byModel[key] : undefined) ??
        this.options.quotas.default;
      quota =
        limit.requestsPerMinute === undefined && limit.tokensPerMinute === undefined ? null : new ModelQuota(limit);
      this.quotas.set(key, quota);
    }
    return quota ?? undefined;
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
