import type { CostPolicyRules } from './cost-policy.rules';
import { findModel } from '../models/model-catalog';
import { hasGlobalProfile, residencyOf } from '../models/inference-profiles';

/**
 * Refuses a policy value at `path` (e.g. `policy.budgets.default.dailyUsd`), saying what it expects. The value
 * itself is never quoted: the document holds secrets beside the policy.
 */
export type PolicyProblem = (path: string, expected: string) => Error;

type Check = (value: unknown, path: string) => void;

/** The operations a rule may match: those that call a model and carry an output cap (not CountTokens). */
const MODEL_OPERATIONS: readonly string[] = ['converse', 'converse-stream', 'invoke', 'invoke-with-response-stream'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Names the JSON type of a value, never the value. */
function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function knownModel(id: string): boolean {
  try {
    return findModel(id) !== undefined;
  } catch {
    return false; // not even the shape of a model id
  }
}

/**
 * Checks the `policy` section of the tenants document against CostPolicyRules: every field's type and range, no
 * unknown fields (a misspelt "budget" would otherwise drop a limit silently). Throws `problem(path, expected)`
 * for the first thing wrong.
 */
export function parsePolicyRules(value: unknown, problem: PolicyProblem): CostPolicyRules {
  const fail = (path: string, expected: string, got?: unknown): never => {
    throw problem(path, got === undefined ? expected : `${expected}, got ${typeName(got)}`);
  };

  const number =
    (expected: string, ok: (n: number) => boolean): Check =>
    (v, path) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) fail(path, `must be ${expected}`, v);
    };
  const usd = number('a number >= 0 (USD)', (n) => n >= 0);
  const seconds = number('a number of seconds >= 0', (n) => n >= 0);
  const tokens = number('an integer >= 0 (tokens)', (n) => Number.isInteger(n) && n >= 0);
  const boolean: Check = (v, path) => {
    if (typeof v !== 'boolean') fail(path, 'must be true or false', v);
  };
  const model: Check = (v, path) => {
    if (typeof v !== 'string' || !knownModel(v))
      fail(
        path,
        'must be a model id the gateway knows (e.g. amazon.nova-lite-v1:0)',
        typeof v === 'string' ? undefined : v,
      );
  };

  /** An object with only the given optional fields, each checked when present. */
  const object =
    (fields: Readonly<Record<string, Check>>, required: readonly string[] = []): Check =>
    (v, path) => {
      if (!isObject(v)) return fail(path, `must be an object with ${Object.keys(fields).join(', ')}`, v);
      for (const key of Object.keys(v)) {
        const check = Object.hasOwn(fields, key) ? fields[key] : undefined;
        if (!check) fail(`${path}.${key}`, `is not a policy field; ${path} takes ${Object.keys(fields).join(', ')}`);
        else if (v[key] !== undefined) check(v[key], `${path}.${key}`);
      }
      for (const key of required) if (v[key] === undefined) fail(`${path}.${key}`, 'is required');
    };
  const record =
    (each: Check, keyCheck?: (key: string, path: string) => void): Check =>
    (v, path) => {
      if (!isObject(v)) return fail(path, 'must be an object', v);
      for (const [key, item] of Object.entries(v)) {
        const at = `${path}[${JSON.stringify(key)}]`;
        keyCheck?.(key, at);
        each(item, at);
      }
    };
  const array =
    (each: Check): Check =>
    (v, path) => {
      if (!Array.isArray(v)) return fail(path, 'must be an array', v);
      v.forEach((item, i) => each(item, `${path}[${i}]`));
    };

  const budget = object({
    dailyUsd: usd,
    monthlyUsd: usd,
    softThreshold: number('a number above 0 and at most 1', (n) => n > 0 && n <= 1),
    onExceeded: (v, path) => {
      if (v !== 'retry-later' && v !== 'stop')
        fail(path, "must be 'retry-later' or 'stop'", typeof v === 'string' ? undefined : v);
    },
  });
  const route = object(
    {
      name: (v, path) => {
        if (typeof v !== 'string' || v === '') fail(path, 'must be a non-empty string', v);
      },
      from: (v, path) => {
        array(model)(v, path);
        if ((v as unknown[]).length === 0) fail(path, 'must name at least one model');
      },
      to: model,
      when: object({ maxInputTokens: tokens, maxOutputTokens: tokens, onlyOverSoftLimit: boolean }),
    },
    ['name', 'from', 'to'],
  );
  const positiveSeconds = number('a number of seconds > 0', (n) => n > 0);
  const positiveTokens = number('a positive integer (tokens)', (n) => Number.isInteger(n) && n > 0);
  const tokensPerSecond = number('a number >= 0 (tokens per second)', (n) => n >= 0);
  const sessionRules = object({
    maxConcurrent: number('a positive integer (sessions)', (n) => Number.isInteger(n) && n > 0),
    maxSeconds: positiveSeconds,
    idleSeconds: positiveSeconds,
    worstCaseTokensPerSecond: object({
      speechInput: tokensPerSecond,
      speechOutput: tokensPerSecond,
      textInput: tokensPerSecond,
      textOutput: tokensPerSecond,
    }),
  });
  const strings =
    (what: string): Check =>
    (v, path) => {
      if (!Array.isArray(v) || v.length === 0 || v.some((s) => typeof s !== 'string' || s === ''))
        fail(path, `must be a non-empty array of ${what}`, Array.isArray(v) ? undefined : v);
    };
  const oneOf =
    (values: readonly string[]): Check =>
    (v, path) => {
      if (typeof v !== 'string' || !values.includes(v))
        fail(path, `must be one of ${values.join(', ')}`, typeof v === 'string' ? undefined : v);
    };
  const match = object({
    tenants: strings('tenant ids'),
    models: array(model),
    operations: array(oneOf(MODEL_OPERATIONS)),
    lanes: array(oneOf(['interactive', 'deferrable'])),
  });
  const serviceTier = object({ match, tier: oneOf(['flex', 'priority', 'default']) }, ['tier']);
  const outputCap = object({
    match,
    defaultMaxTokens: positiveTokens,
    maxTokens: positiveTokens,
    onExceeded: (v, path) => {
      if (v !== 'clamp' && v !== 'refuse')
        fail(path, "must be 'clamp' or 'refuse'", typeof v === 'string' ? undefined : v);
    },
  });
  const positiveMs = number('a number of ms > 0', (n) => n > 0);
  const fallback = object({
    match,
    to: array((v, path) => {
      model(v, path);
      if (residencyOf(v as string) === 'global' && !hasGlobalProfile(v as string))
        fail(path, 'names a global inference profile Bedrock does not offer for that model');
    }),
    otherProfiles: boolean,
  });
  const rules = object({
    region: (v, path) => {
      if (typeof v !== 'string' || !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(v))
        fail(path, 'must be a region like us-east-1', typeof v === 'string' ? undefined : v);
    },
    cache: object({
      defaultTtlSeconds: seconds,
      ttlSecondsByModel: record(
        seconds,
        (key, path) => knownModel(key) || fail(path, 'must be keyed by model ids the gateway knows'),
      ),
      ttlSecondsByOperation: object({ converse: seconds, invoke: seconds }),
      allowOptIn: boolean,
    }),
    routes: array(route),
    budgets: object({ default: budget, byTenant: record(budget) }),
    defaultMaxOutputTokens: positiveTokens,
    outputCaps: array(outputCap),
    serviceTiers: array(serviceTier),
    cachePoints: array(object({ match, insert: oneOf(['guarded', 'never']) }, ['insert'])),
    inferenceProfiles: array(object({ match, dataResidency: oneOf(['global', 'geo', 'region']) }, ['dataResidency'])),
    fallbacks: array(fallback),
    circuitBreaker: object({
      failureThreshold: number('a positive integer', (n) => Number.isInteger(n) && n > 0),
      openMs: positiveMs,
      windowMs: positiveMs,
    }),
    deferOverSoftLimit: boolean,
    sessions: object({ default: sessionRules, byTenant: record(sessionRules) }),
    unpricedModels: (v, path) => {
      if (v !== 'forward' && v !== 'refuse')
        fail(path, "must be 'forward' or 'refuse'", typeof v === 'string' ? undefined : v);
    },
  });

  rules(value, 'policy');
  return value as CostPolicyRules;
}
