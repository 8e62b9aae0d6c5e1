import type { InvocationRequest, Lane, TierPlan } from '../invocation/invocation.types';
import { isJsonObject } from '../json';
import type { ModelSpec } from '../models/model-catalog';
import { matchesCall } from './call-match';
import type { ServiceTierRule } from './cost-policy.rules';

/** The service tier the caller named: Converse `serviceTier.type`, or InvokeModel's parameter. */
export function callerServiceTier(request: Pick<InvocationRequest, 'body' | 'parameters'>): string | undefined {
  const converse = request.body['serviceTier'];
  const type = isJsonObject(converse) ? converse['type'] : undefined;
  return typeof type === 'string' ? type : request.parameters?.serviceTier;
}

/**
 * The tier the first matching rule names for a call that names none (a caller's own tier is kept), or undefined for
 * Bedrock's default. CountTokens calls no model: no tier.
 */
export function chooseServiceTier(
  request: InvocationRequest,
  model: ModelSpec | undefined,
  lane: Lane,
  rules: readonly ServiceTierRule[] | undefined,
): 'flex' | 'priority' | undefined {
  if (request.operation === 'count-tokens' || callerServiceTier(request) !== undefined) return undefined;
  const call = { tenantId: request.tenantId, modelId: model?.id, operation: request.operation, lane };
  const tier = (rules ?? []).find((r) => matchesCall(r.match, call))?.tier;
  return tier === 'default' ? undefined : tier;
}

/** The tier a call is planned in: the caller's own, else the policy's choice (see chooseServiceTier), else the default. */
export function tierPlanOf(
  request: Pick<InvocationRequest, 'body' | 'parameters'>,
  policyTier: string | undefined,
): TierPlan {
  const callerTier = callerServiceTier(request);
  if (callerTier !== undefined) return { name: callerTier, by: 'caller' };
  return policyTier !== undefined ? { name: policyTier, by: 'policy' } : 'default';
}
