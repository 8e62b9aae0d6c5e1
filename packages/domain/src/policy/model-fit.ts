import type { InvocationRequest } from '../invocation/invocation.types';
import { bodyShapeOf } from '../invocation/invocation.types';
import type { RequestFeatures } from '../invocation/request-features';
import type { ModelSpec } from '../models/model-catalog';

const DEFAULT_MAX_OUTPUT_TOKENS = 4096;

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

/**
 * Output tokens a call may bill: the caller's cap where Bedrock reads it, else the model's maximum (else the rules'
 * default for a model whose maximum is not known); never more than the model's maximum, which Bedrock enforces.
 */
export function outputBound(
  model: ModelSpec | undefined,
  f: RequestFeatures,
  defaultMaxOut: number | undefined,
): number {
  const max = model?.maxOutputTokens ?? Number.POSITIVE_INFINITY;
  return Math.min(f.maxOutputTokens ?? model?.maxOutputTokens ?? defaultMaxOut ?? DEFAULT_MAX_OUTPUT_TOKENS, max);
}
