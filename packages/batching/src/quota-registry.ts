import { findModel, requestFeatures, resolveModelId } from '@nova-cost/domain';
import type { PlannedInvocation, TokenUsage } from '@nova-cost/domain';
import type { ResolvedOptions } from './batching-invoker.options';
import { ModelQuota } from './model-quota';

/** Tokens a call counts against tokens-per-minute once its usage is known. */
export const usedTokens = (u: TokenUsage): number =>
  u.inputTokens + u.outputTokens + u.cacheReadInputTokens + u.cacheWriteInputTokens;

/** The quota of each base model, made on first use from the configured limits. */
export class QuotaRegistry {
  private readonly quotas = new Map<string, ModelQuota | null>();

  constructor(private readonly options: Pick<ResolvedOptions, 'quotas' | 'defaultOutputTokenEstimate'>) {}

  /**
   * The quota of the request's base model, or undefined when it has none. Ids outside the catalog and the
   * configured quotas share one bucket, so arbitrary ids sent by callers cannot grow the map without bound.
   */
  quotaFor(modelId: string): ModelQuota | undefined {
    return this.quotaOfKey(this.keyOf(modelId));
  }

  /** The quota of a key from keyOf(), or undefined when it has none. */
  quotaOfKey(key: string): ModelQuota | undefined {
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
}
