import { NovaCostError, StaticPricingCatalog, type PricingCatalog } from '@nova-cost/domain';
import type { EstimateLines } from './estimate-line';
import { DAYS_PER_MONTH } from './infra-price-table';
import type { BedrockLevers, ModelTraffic, TrafficProfile } from './traffic-profile';

/** What the Bedrock lines add up to, with and without nova-cost's levers. */
export interface BedrockTotals {
  readonly withLeversUsd: number;
  readonly withoutLeversUsd: number;
}

/** What `calls` calls of one shape to `modelId` cost on demand, and what batch inference takes off a `batchShare` of them. */
function callsUsd(
  catalog: PricingCatalog,
  region: string,
  modelId: string,
  calls: number,
  model: ModelTraffic,
  levers: BedrockLevers,
): { onDemandUsd: number; batchDiscountUsd: number } {
  const cached = model.inputTokens * (levers.promptCacheReadShare ?? 0);
  const usage = {
    inputTokens: model.inputTokens - cached,
    cacheReadInputTokens: cached,
    cacheWriteInputTokens: 0,
    outputTokens: model.outputTokens,
  };
  const onDemand = catalog.cost({ modelId, region, usage });
  const batch = catalog.cost({ modelId, region, usage, billing: 'batch' });
  return { onDemandUsd: calls * onDemand, batchDiscountUsd: calls * (levers.batchShare ?? 0) * (onDemand - batch) };
}

/**
 * One Bedrock line per model of the profile, priced from the domain's price table: with the levers (cache hits never
 * reach Bedrock, routed calls are priced on the model they go to, prompt-cache reads at the cache-read rate) and, for
 * comparison, without them; then one line taking off the batch discount (`batchShare` of the calls reaching Bedrock
 * answered by batch inference through the async API, at half price). Cache writes are not counted.
 */
export function bedrockTraffic(
  profile: TrafficProfile,
  region: string,
  out: EstimateLines,
  catalog: PricingCatalog = new StaticPricingCatalog(),
): BedrockTotals {
  const levers = profile.levers ?? {};
  const leversGiven = Object.keys(levers).length > 0;
  let withLeversUsd = 0;
  let withoutLeversUsd = 0;
  let batchDiscountUsd = 0;
  let batchRequests = 0;
  for (const model of profile.models ?? []) {
    const requests = (profile.requestsPerDay ?? 0) * model.share * DAYS_PER_MONTH;
    try {
      const without = callsUsd(catalog, region, model.modelId, requests, model, {}).onDemandUsd;
      const upstream = requests * (1 - (levers.cacheHitRate ?? 0));
      const routes = (levers.routes ?? []).filter((r) => r.from === model.modelId);
      const routedShare = routes.reduce((sum, r) => sum + r.share, 0);
      const parts = [
        callsUsd(catalog, region, model.modelId, upstream * (1 - routedShare), model, levers),
        ...routes.map((r) => callsUsd(catalog, region, r.to, upstream * r.share, model, levers)),
      ];
      const withLevers = parts.reduce((sum, p) => sum + p.onDemandUsd, 0);
      out.pricedTraffic(
        'bedrock',
        `Bedrock ${model.modelId} (${model.inputTokens} in / ${model.outputTokens} out tokens a request${leversGiven ? ', with nova-cost levers' : ', no levers given'})`,
        requests,
        'requests',
        withLevers,
        without,
      );
      withLeversUsd += withLevers;
      withoutLeversUsd += without;
      batchDiscountUsd += parts.reduce((sum, p) => sum + p.batchDiscountUsd, 0);
      batchRequests += upstream * (levers.batchShare ?? 0);
    } catch (error) {
      if (!NovaCostError.is(error, 'unknown-price')) throw error;
      out.note(`Bedrock ${model.modelId}: not priced (${error.message})`);
    }
  }
  if (batchDiscountUsd > 0) {
    out.pricedTraffic(
      'bedrock',
      `Bedrock batch inference discount (async API: ${Number(((levers.batchShare ?? 0) * 100).toFixed(2))}% of the calls reaching Bedrock, at the batch price)`,
      batchRequests,
      'requests',
      -batchDiscountUsd,
    );
    withLeversUsd -= batchDiscountUsd;
  }
  return { withLeversUsd, withoutLeversUsd };
}
