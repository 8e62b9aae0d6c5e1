import { NovaCostError } from '../errors/nova-cost.error';
import type { TokenUsage } from '../invocation/invocation.types';
import { resolveModelId } from '../models/model-catalog';
import type { CostQuery, PriceQuery, PricingCatalog } from './pricing-catalog.port';
import { BATCH_DISCOUNT_MULTIPLIER, DEFAULT_PRICES, type ModelPrice } from './price-table';

/**
 * USD for one call: input×in + cacheRead×read + cacheWrite×write (those kept an hour at the 1-hour write rate) +
 * output×out, rates per 1M tokens.
 */
export function costOf(usage: TokenUsage, price: ModelPrice): number {
  const hour = Math.min(usage.cacheWrite1hInputTokens ?? 0, usage.cacheWriteInputTokens);
  return (
    (usage.inputTokens * price.inputPer1M +
      usage.cacheReadInputTokens * price.cacheReadPer1M +
      (usage.cacheWriteInputTokens - hour) * price.cacheWritePer1M +
      hour * (price.cacheWrite1hPer1M ?? price.cacheWritePer1M) +
      usage.outputTokens * price.outputPer1M) /
    1_000_000
  );
}

/** A pricing catalog over a fixed price table. */
export class StaticPricingCatalog implements PricingCatalog {
  private readonly byKey = new Map<string, ModelPrice>();

  /** @param prices rows to price from. @default DEFAULT_PRICES */
  constructor(prices: readonly ModelPrice[] = DEFAULT_PRICES) {
    for (const p of prices) this.byKey.set(`${p.region}|${p.modelId}`, p);
  }

  price({ modelId, region }: PriceQuery): ModelPrice {
    const { baseModelId, scope } = resolveModelId(modelId);
    const base = this.byKey.get(`${region}|${baseModelId}`);
    if (!base) {
      const known = [...this.byKey.values()].some((p) => p.modelId === baseModelId);
      throw new NovaCostError(
        'unknown-price',
        known
          ? `no price for model ${baseModelId} in region ${region}: add a row for that region to the price table`
          : `no price for model ${baseModelId}: add it to the price table`,
        { details: { modelId: baseModelId, region } },
      );
    }
    const factor = scope === 'global' ? 1 : (base.regionalPremium ?? 1);
    if (factor === 1) return base;
    return {
      ...base,
      inputPer1M: base.inputPer1M * factor,
      outputPer1M: base.outputPer1M * factor,
      cacheReadPer1M: base.cacheReadPer1M * factor,
      cacheWritePer1M: base.cacheWritePer1M * factor,
      ...(base.cacheWrite1hPer1M === undefined ? {} : { cacheWrite1hPer1M: base.cacheWrite1hPer1M * factor }),
      ...(base.speech
        ? { speech: { inputPer1M: base.speech.inputPer1M * factor, outputPer1M: base.speech.outputPer1M * factor } }
        : {}),
    };
  }

  cost(query: CostQuery): number {
    assertUsage(query.usage);
    const price = this.price(query);
    // A tier the table has no price for is billed as standard here: the call still happened.
    const tier =
      query.serviceTier !== undefined &&
      price.tierMultipliers &&
      Object.hasOwn(price.tierMultipliers, query.serviceTier)
        ? price.tierMultipliers[query.serviceTier]!
        : 1;
    const onDemand = costOf(query.usage, price) * tier;
    return query.billing === 'batch' ? onDemand * BATCH_DISCOUNT_MULTIPLIER : onDemand;
  }
}

function assertUsage(usage: TokenUsage): void {
  // for…in, not Object.entries: this runs up to three times per call, cache hits included, and needs no arrays.
  for (const field in usage) {
    if (!Object.hasOwn(usage, field)) continue;
    const value = usage[field as keyof TokenUsage];
    if (!Number.isFinite(value) || (value as number) < 0) {
      throw new NovaCostError('validation', `token usage ${field} must be a finite number >= 0, got ${String(value)}`, {
        details: { field },
      });
    }
  }
}
