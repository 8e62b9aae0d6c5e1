import type { InvocationRequest, Lane } from '../invocation/invocation.types';
import type { DataResidency } from '../models/inference-profiles';
import { profileIdOf, residencyOf } from '../models/inference-profiles';
import type { PricingCatalog } from '../pricing/pricing-catalog.port';
import { matchesCall } from './call-match';
import type { InferenceProfileRule } from './fallback.rules';

const WIDEST: readonly DataResidency[] = ['global', 'geo', 'region'];

/**
 * Where a call may be processed: what the first matching rule allows, widened to the profile the caller addressed
 * (asking for `us.…` allows the geography for that call). @default 'region'
 */
export function allowedResidency(
  request: Pick<InvocationRequest, 'tenantId' | 'modelId' | 'operation'>,
  baseModelId: string | undefined,
  lane: Lane,
  rules: readonly InferenceProfileRule[] | undefined,
): DataResidency {
  const call = { tenantId: request.tenantId, modelId: baseModelId, operation: request.operation, lane };
  const ruled = (rules ?? []).find((r) => matchesCall(r.match, call))?.dataResidency ?? 'region';
  const asked = residencyOf(request.modelId);
  return WIDEST.find((r) => r === ruled || r === asked) ?? 'region';
}

/**
 * The global inference profile of `modelId` when the call may go global and that profile is priced below the id as
 * addressed (in the region the call is priced in), else undefined: the call stays as addressed.
 */
export function cheaperGlobalProfile(
  modelId: string,
  allowed: DataResidency,
  region: string,
  pricing: PricingCatalog,
): string | undefined {
  if (allowed !== 'global' || residencyOf(modelId) === 'global') return undefined;
  const global = profileIdOf(modelId, 'global', region);
  if (global === undefined) return undefined;
  try {
    const here = pricing.price({ modelId, region });
    const there = pricing.price({ modelId: global, region });
    return there.inputPer1M < here.inputPer1M && there.outputPer1M <= here.outputPer1M ? global : undefined;
  } catch {
    return undefined; // unpriced: no saving to claim, the call stays as addressed
  }
}
