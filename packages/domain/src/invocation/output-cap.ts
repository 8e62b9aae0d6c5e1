import { NovaCostError } from '../errors/nova-cost.error';
import type { JsonObject, JsonValue } from '../json';
import { isJsonObject } from '../json';
import type { ModelSpec } from '../models/model-catalog';
import { matchesCall } from '../policy/call-match';
import type { OutputCapRule } from '../policy/cost-policy.rules';
import type { InvocationRequest, Operation } from './invocation.types';
import { bodyShapeOf } from './invocation.types';
import type { RequestFeatures } from './request-features';

/** Where Bedrock reads a call's output cap: the field, and whether the body is refused without it. */
export interface OutputCapField {
  readonly path: readonly string[];
  /** Anthropic's Messages body must carry `max_tokens`: a default is never written there (Bedrock's refusal stands). */
  readonly required: boolean;
  /** Model-specific fields that may carry a higher cap (Converse's additionalModelRequestFields). */
  readonly overrides: readonly (readonly string[])[];
}

const CONVERSE: OutputCapField = {
  path: ['inferenceConfig', 'maxTokens'],
  required: false,
  overrides: [
    ['additionalModelRequestFields', 'max_tokens'],
    ['additionalModelRequestFields', 'inferenceConfig', 'max_new_tokens'],
  ],
};

/**
 * The output cap's field for the operation and model family. Converse: inferenceConfig.maxTokens for every model.
 * InvokeModel: the family's own field (Nova inferenceConfig.max_new_tokens, Anthropic and Mistral max_tokens, Llama
 * max_gen_len). None for embeddings, speech and models outside the catalog: they have no cap Bedrock reads.
 */
export function outputCapField(operation: Operation, model: ModelSpec | undefined): OutputCapField | undefined {
  if (operation === 'count-tokens') return undefined;
  if (bodyShapeOf(operation) === 'converse') return CONVERSE;
  const field = (path: string[], required = false): OutputCapField => ({ path, required, overrides: [] });
  switch (model?.bodyFormat) {
    case 'anthropic-messages':
      return field(['max_tokens'], true);
    case 'mistral-completion':
      return field(['max_tokens']);
    case 'meta-llama':
      return field(['max_gen_len']);
    case 'nova-messages-v1':
      return field(['inferenceConfig', 'max_new_tokens']);
    default:
      return undefined;
  }
}

function numberAt(body: JsonValue | undefined, path: readonly string[]): number | undefined {
  let cur = body;
  for (const key of path) {
    if (!isJsonObject(cur) || !Object.hasOwn(cur, key)) return undefined;
    cur = cur[key];
  }
  return typeof cur === 'number' && Number.isFinite(cur) ? cur : undefined;
}

/** The cap the body sets where Bedrock reads it (a model-specific override can only raise it), if any. */
export function readOutputCap(body: JsonObject, field: OutputCapField | undefined): number | undefined {
  if (!field) return undefined;
  const cap = numberAt(body, field.path);
  if (cap === undefined) return undefined;
  const overrides = field.overrides.map((p) => numberAt(body, p)).filter((n): n is number => n !== undefined);
  return Math.max(cap, ...overrides);
}

/** A copy of `body` with `value` at `path`, creating the objects on the way; the caller's body is left as it was. */
function withValue(body: JsonObject, path: readonly string[], value: number): JsonObject {
  const [key, ...rest] = path;
  if (key === undefined) return body;
  const inner = Object.hasOwn(body, key) ? body[key] : undefined;
  return {
    ...body,
    [key]: rest.length === 0 ? value : withValue(isJsonObject(inner) ? inner : {}, rest, value),
  };
}

/** The body with its cap set to `tokens`, and any model-specific override above it lowered to it. */
export function writeOutputCap(body: JsonObject, field: OutputCapField, tokens: number): JsonObject {
  let out = withValue(body, field.path, tokens);
  for (const path of field.overrides) {
    const v = numberAt(out, path);
    if (v !== undefined && v > tokens) out = withValue(out, path, tokens);
  }
  return out;
}

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

const DEFAULT_MAX_OUTPUT_TOKENS = 4096;

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
