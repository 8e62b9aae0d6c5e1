import { NovaCostError } from '../errors/nova-cost.error';
import type { InvocationRequest } from '../invocation/invocation.types';
import { outputCapField, readOutputCap, writeOutputCap } from '../invocation/output-cap';
import type { JsonObject } from '../json';
import type { ModelSpec } from '../models/model-catalog';
import { matchesCall } from './call-match';
import type { OutputCapRule } from './cost-policy.rules';

/** What an output cap rule did to a call: set the cap it lacked, or lowered the one it asked for. */
export interface AppliedOutputCap {
  readonly action: 'default' | 'clamped';
  readonly maxTokens: number;
  /** The rule's index in `outputCaps`. */
  readonly rule: number;
}

/**
 * The body with the first matching rule's cap applied: its default written where the request sets none, or the
 * request's cap lowered to the ceiling (or the request refused, 'validation', when the rule says so).
 */
export function applyOutputCaps(
  request: InvocationRequest,
  model: ModelSpec | undefined,
  rules: readonly OutputCapRule[] | undefined,
): { readonly body: JsonObject; readonly applied?: AppliedOutputCap } {
  const field = outputCapField(request.operation, model);
  const call = {
    tenantId: request.tenantId,
    modelId: model?.id,
    operation: request.operation,
    lane: request.hints?.lane ?? 'interactive',
  } as const;
  const index = field ? (rules ?? []).findIndex((r) => matchesCall(r.match, call)) : -1;
  const rule = rules?.[index];
  if (!field || !rule) return { body: request.body };
  const asked = readOutputCap(request.body, field);
  const modelMax = model?.maxOutputTokens ?? Number.POSITIVE_INFINITY;
  if (asked === undefined) {
    if (rule.defaultMaxTokens === undefined || field.required) return { body: request.body };
    const maxTokens = Math.min(rule.defaultMaxTokens, rule.maxTokens ?? Infinity, modelMax);
    return {
      body: writeOutputCap(request.body, field, maxTokens),
      applied: { action: 'default', maxTokens, rule: index },
    };
  }
  if (rule.maxTokens === undefined || asked <= rule.maxTokens) return { body: request.body };
  if (rule.onExceeded === 'refuse') {
    throw new NovaCostError(
      'validation',
      `${field.path.join('.')} ${asked} is above ${rule.maxTokens}, the most the cost policy allows this call (policy.outputCaps[${index}].maxTokens); ask for ${rule.maxTokens} or fewer`,
      { details: { field: field.path.join('.'), maxTokens: rule.maxTokens, reason: 'output-cap' } },
    );
  }
  return {
    body: writeOutputCap(request.body, field, rule.maxTokens),
    applied: { action: 'clamped', maxTokens: rule.maxTokens, rule: index },
  };
}
