import type { Clock } from '../clock.port';
import type { InvocationRequest, Lane } from '../invocation/invocation.types';
import type { CachePointPlacement } from '../invocation/prompt-layout';
import { cacheableShape, promptLayout } from '../invocation/prompt-layout';
import { findModel, resolveModelId } from '../models/model-catalog';
import { promptCacheSupport } from '../models/prompt-cache-support';
import type { PricingCatalog } from '../pricing/pricing-catalog.port';
import { matchesCall } from './call-match';
import { guardCachePoints } from './cache-point-guard';
import type { CachePointRule } from './cost-policy.rules';
import type { PrefixHistory } from './prefix-history.port';

/**
 * Decides the cache points of a planned call: none unless a `cachePoints` rule says 'guarded' for it and the model
 * caches prompts of this body's shape; then where the payoff guard expects them to pay. Fails open: a history store
 * that cannot answer, or anything else going wrong, means no cache points, never a failed call.
 */
export class CachePointPlanner {
  /** Whether any rule inserts points: without one, every call has none and plan() need not be asked. */
  readonly placesAny: boolean;

  constructor(
    private readonly rules: readonly CachePointRule[] | undefined,
    private readonly pricing: PricingCatalog,
    private readonly history: PrefixHistory,
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.placesAny = (rules ?? []).some((r) => r.insert === 'guarded');
  }

  /** @param call the call as planned (the model that answers, its region); `requestedModelId` is what rules match. */
  async plan(
    call: Pick<InvocationRequest, 'tenantId' | 'modelId' | 'operation' | 'body'> & { region: string; lane: Lane },
    requestedModelId: string,
  ): Promise<readonly CachePointPlacement[]> {
    const match = {
      tenantId: call.tenantId,
      modelId: findModel(requestedModelId)?.id,
      operation: call.operation,
      lane: call.lane,
    };
    const rule = (this.rules ?? []).find((r) => matchesCall(r.match, match));
    if (rule?.insert !== 'guarded') return [];
    const support = promptCacheSupport(call.modelId);
    const shape = cacheableShape(call.operation, findModel(call.modelId)?.bodyFormat);
    if (!support || !shape) return [];
    try {
      const price = this.pricing.price({ modelId: call.modelId, region: call.region });
      const decision = await guardCachePoints({
        tenantId: call.tenantId,
        layout: promptLayout(call.body, shape, resolveModelId(call.modelId).baseModelId),
        support,
        rates: {
          input: price.inputPer1M,
          read: price.cacheReadPer1M,
          write5m: price.cacheWritePer1M,
          write1h: price.cacheWrite1hPer1M ?? price.cacheWritePer1M,
        },
        history: this.history,
        nowMs: this.clock.now().getTime(),
      });
      if (decision.placed.length > 0) await this.history.placed(call.tenantId, decision.placed);
      return decision.placements;
    } catch (error) {
      this.onError(error);
      return [];
    }
  }
}
