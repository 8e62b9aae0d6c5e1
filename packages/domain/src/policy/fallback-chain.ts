import type { InvocationRequest, Lane } from '../invocation/invocation.types';
import { bodyShapeOf } from '../invocation/invocation.types';
import type { RequestFeatures } from '../invocation/request-features';
import type { DataResidency } from '../models/inference-profiles';
import type { ModelSpec } from '../models/model-catalog';
import { profileIdOf, residencyOf, withinResidency } from '../models/inference-profiles';
import { findModel } from '../models/model-catalog';
import type { PricingCatalog } from '../pricing/pricing-catalog.port';
import { matchesCall } from './call-match';
import type { FallbackRule, InferenceProfileRule } from './fallback.rules';
import { outputBound } from '../invocation/output-cap';

// Where a call may go beyond the model as addressed (the rules of fallback.rules.ts): a cheaper inference profile of
// that model, and the models it falls back on when it throttles or fails; and whether another model can stand in for
// it at all (canServe, which the policy's routes ask too).

/** What a fallback chain is judged on: the call as planned (`request.modelId` is the model it goes to first). */
export interface FallbackCall {
  readonly request: Pick<InvocationRequest, 'tenantId' | 'modelId' | 'operation'>;
  /** The base model the caller asked for (what rules match on). */
  readonly askedModelId: string | undefined;
  readonly lane: Lane;
  readonly region: string;
  readonly residency: DataResidency;
  readonly features: RequestFeatures;
  readonly defaultMaxOutputTokens: number | undefined;
}

/** The first fallback rule that fits a call, whatever its lane (for the worst case, held before the lane is known). */
export function anyFallbackRule(
  request: Pick<InvocationRequest, 'tenantId' | 'operation'>,
  askedModelId: string | undefined,
  rules: readonly FallbackRule[] | undefined,
): boolean {
  const call = { tenantId: request.tenantId, modelId: askedModelId, operation: request.operation };
  return (rules ?? []).some(
    (r) =>
      matchesCall(r.match, { ...call, lane: 'interactive' }) || matchesCall(r.match, { ...call, lane: 'deferrable' }),
  );
}

/**
 * The ids to try, in order, when the planned target throttles, fails or is unavailable: the same model through its
 * other profiles within the call's residency (widest first), then the rule's `to` that can serve the call for no more
 * per token. Empty when no rule fits, for CountTokens, and for a model outside the catalog.
 */
export function fallbackChain(
  call: FallbackCall,
  rules: readonly FallbackRule[] | undefined,
  pricing: PricingCatalog,
): string[] {
  const { request, region, residency } = call;
  const planned = findModel(request.modelId);
  if (planned === undefined || request.operation === 'count-tokens') return [];
  const match = {
    tenantId: request.tenantId,
    modelId: call.askedModelId,
    operation: request.operation,
    lane: call.lane,
  };
  const rule = (rules ?? []).find((r) => matchesCall(r.match, match));
  if (rule === undefined) return [];
  const chain: string[] = [];
  const add = (id: string | undefined): void => {
    if (id !== undefined && id !== request.modelId && !chain.includes(id)) chain.push(id);
  };
  if (rule.otherProfiles ?? true) {
    for (const scope of ['global', 'geo', 'region'] as const) {
      const id = profileIdOf(request.modelId, scope, region);
      if (id !== undefined && withinResidency(id, residency) && priced(pricing, id, region)) add(id);
    }
  }
  const plannedPrice = priceOf(pricing, request.modelId, region);
  for (const id of rule.to ?? []) {
    const target = safeFind(id);
    if (target === undefined || !withinResidency(id, residency)) continue;
    if (target.id === planned.id) {
      if (priced(pricing, id, region)) add(id);
      continue;
    }
    const price = priceOf(pricing, id, region);
    if (price === undefined || plannedPrice === undefined) continue;
    if (price.inputPer1M > plannedPrice.inputPer1M || price.outputPer1M > plannedPrice.outputPer1M) continue;
    if (!canServe(target, planned, request, call.features, call.defaultMaxOutputTokens)) continue;
    add(id);
  }
  return chain;
}

function safeFind(id: string) {
  try {
    return findModel(id);
  } catch {
    return undefined;
  }
}

function priceOf(pricing: PricingCatalog, modelId: string, region: string) {
  try {
    return pricing.price({ modelId, region });
  } catch {
    return undefined;
  }
}

function priced(pricing: PricingCatalog, modelId: string, region: string): boolean {
  return priceOf(pricing, modelId, region) !== undefined;
}

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

/** Whether `to` can answer what was asked of `from` without losing anything the request relies on. */
export function canServe(
  to: ModelSpec,
  from: ModelSpec,
  request: Pick<InvocationRequest, 'operation'>,
  f: RequestFeatures,
  defaultMaxOut: number | undefined,
): boolean {
  if (to.kind !== from.kind) return false;
  // InvokeModel bodies are model-specific; only Converse is portable across families.
  if (bodyShapeOf(request.operation) === 'invoke' && to.bodyFormat !== from.bodyFormat) return false;
  if ([...f.needs].some((c) => !to.capabilities.includes(c))) return false;
  return f.estimatedInputTokens + outputBound(to, f, defaultMaxOut) <= to.contextTokens;
}
