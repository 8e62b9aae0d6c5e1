import type {
  BudgetOutcome,
  CallMatch,
  CostPolicyRules,
  FallbackRule,
  OutputCapRule,
  RouteRule,
  SpeechSessionRules,
  TenantBudget,
} from '@nova-cost/domain';
import { findModel, hasGlobalProfile, residencyOf } from '@nova-cost/domain';
import { z } from 'zod';

/** Names the JSON type of a value, never the value: the document holds secrets beside the policy. */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** The message of a value of the wrong JSON type: what it must be, and what it is (or that it is missing). */
const wrongType =
  (expected: string) =>
  (issue: { input?: unknown }): string =>
    issue.input === undefined ? 'is required' : `must be ${expected}, got ${typeName(issue.input)}`;

const number = (expected: string, ok: (n: number) => boolean) =>
  z.number({ error: wrongType(expected) }).refine(ok, { error: `must be ${expected}` });

const usd = number('a number >= 0 (USD)', (n) => n >= 0);
const seconds = number('a number of seconds >= 0', (n) => n >= 0);
const tokens = number('an integer >= 0 (tokens)', (n) => Number.isInteger(n) && n >= 0);
const positiveTokens = number('a positive integer (tokens)', (n) => Number.isInteger(n) && n > 0);
const positiveSeconds = number('a number of seconds > 0', (n) => n > 0);
const positiveMs = number('a number of ms > 0', (n) => n > 0);
const tokensPerSecond = number('a number >= 0 (tokens per second)', (n) => n >= 0);
const boolean = z.boolean({ error: wrongType('true or false') });

/** One of `values`; a string that is none of them is not quoted back (it may be a secret pasted in the wrong place). */
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, {
    error: (issue) =>
      typeof issue.input === 'string' ? `must be one of ${values.join(', ')}` : wrongType(values.join(', '))(issue),
  });

function knownModel(id: string): boolean {
  try {
    return findModel(id) !== undefined;
  } catch {
    return false; // not even the shape of a model id
  }
}

const MODEL_EXPECTED = 'a model id the gateway knows (e.g. amazon.nova-lite-v1:0)';
const model = z.string({ error: wrongType(MODEL_EXPECTED) }).refine(knownModel, { error: `must be ${MODEL_EXPECTED}` });

const array = <T extends z.ZodType>(item: T) => z.array(item, { error: wrongType('an array') });

/** An object with only the fields of `shape`: a misspelt field ("budget") would otherwise drop a limit silently. */
const object = <T extends z.ZodRawShape>(shape: T) => {
  const fields = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `takes ${fields}` : wrongType(`an object with ${fields}`)(issue),
  });
};

/** Keyed by tenant id (or model id): read as own fields only. */
const record = <T extends z.ZodType>(each: T, key: z.ZodType<string> = z.string()) =>
  z.record(key, each, { error: wrongType('an object') });

/** The operations a rule may match: those that call a model and carry an output cap (not CountTokens). */
const match = object({
  tenants: z
    .array(z.string({ error: wrongType('a tenant id') }).min(1, { error: 'must be a tenant id' }), {
      error: wrongType('a non-empty array of tenant ids'),
    })
    .min(1, { error: 'must be a non-empty array of tenant ids' })
    .optional(),
  models: array(model).optional(),
  operations: array(oneOf(['converse', 'converse-stream', 'invoke', 'invoke-with-response-stream'])).optional(),
  lanes: array(oneOf(['interactive', 'deferrable'])).optional(),
});

/** Budgets written before outcomes named the HTTP status the gateway answers each with: read as those outcomes. */
const STATUS_OUTCOMES: Readonly<Record<number, BudgetOutcome>> = { 429: 'retry-later', 402: 'stop' };

const budget = object({
  dailyUsd: usd.optional(),
  monthlyUsd: usd.optional(),
  softThreshold: number('a number above 0 and at most 1', (n) => n > 0 && n <= 1).optional(),
  onExceeded: z
    .preprocess(
      (v) => (typeof v === 'number' ? (STATUS_OUTCOMES[v] ?? v) : v),
      z.enum(['retry-later', 'stop'], { error: () => "must be 'retry-later' or 'stop'" }),
    )
    .optional(),
});

const route = object({
  name: z.string({ error: wrongType('a non-empty string') }).min(1, { error: 'must be a non-empty string' }),
  from: array(model).min(1, { error: 'must name at least one model' }),
  to: model,
  when: object({
    maxInputTokens: tokens.optional(),
    maxOutputTokens: tokens.optional(),
    onlyOverSoftLimit: boolean.optional(),
  }).optional(),
});

const sessionRules = object({
  maxConcurrent: number('a positive integer (sessions)', (n) => Number.isInteger(n) && n > 0).optional(),
  maxSeconds: positiveSeconds.optional(),
  idleSeconds: positiveSeconds.optional(),
  worstCaseTokensPerSecond: object({
    speechInput: tokensPerSecond.optional(),
    speechOutput: tokensPerSecond.optional(),
    textInput: tokensPerSecond.optional(),
    textOutput: tokensPerSecond.optional(),
  }).optional(),
});

const outputCap = object({
  match: match.optional(),
  defaultMaxTokens: positiveTokens.optional(),
  maxTokens: positiveTokens.optional(),
  onExceeded: z.enum(['clamp', 'refuse'], { error: () => "must be 'clamp' or 'refuse'" }).optional(),
});

const fallback = object({
  match: match.optional(),
  to: array(
    model.refine((id) => residencyOf(id) !== 'global' || hasGlobalProfile(id), {
      error: 'names a global inference profile Bedrock does not offer for that model',
    }),
  ).optional(),
  otherProfiles: boolean.optional(),
});

/**
 * The `policy` section of the tenants document, as CostPolicyRules: every field's type and range, no unknown fields.
 * What only the domain can judge (a route to a model that costs more per token) is left to RuleBasedCostPolicy.
 */
export const policyRulesSchema = object({
  region: z
    .string({ error: wrongType('a region like us-east-1') })
    .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { error: 'must be a region like us-east-1' })
    .optional(),
  cache: object({
    defaultTtlSeconds: seconds.optional(),
    ttlSecondsByModel: record(
      seconds,
      z.string().refine(knownModel, { error: 'must be keyed by model ids the gateway knows' }),
    ).optional(),
    ttlSecondsByOperation: object({ converse: seconds.optional(), invoke: seconds.optional() }).optional(),
    allowOptIn: boolean.optional(),
  }).optional(),
  routes: array(route).optional(),
  budgets: object({ default: budget.optional(), byTenant: record(budget).optional() }).optional(),
  defaultMaxOutputTokens: positiveTokens.optional(),
  outputCaps: array(outputCap).optional(),
  serviceTiers: array(object({ match: match.optional(), tier: oneOf(['flex', 'priority', 'default']) })).optional(),
  cachePoints: array(object({ match: match.optional(), insert: oneOf(['guarded', 'never']) })).optional(),
  inferenceProfiles: array(
    object({ match: match.optional(), dataResidency: oneOf(['global', 'geo', 'region']) }),
  ).optional(),
  fallbacks: array(fallback).optional(),
  circuitBreaker: object({
    failureThreshold: number('a positive integer', (n) => Number.isInteger(n) && n > 0).optional(),
    openMs: positiveMs.optional(),
    windowMs: positiveMs.optional(),
  }).optional(),
  deferOverSoftLimit: boolean.optional(),
  sessions: object({ default: sessionRules.optional(), byTenant: record(sessionRules).optional() }).optional(),
  unpricedModels: z.enum(['forward', 'refuse'], { error: () => "must be 'forward' or 'refuse'" }).optional(),
}) satisfies z.ZodType<CostPolicyRules>;

// `satisfies` holds what the schema gives to be CostPolicyRules; these hold it to name every field the domain's
// types have, so a field added there and not here fails the build instead of being refused as "not a policy field".
type Covers<Schema extends z.ZodType, Rules> =
  Exclude<keyof Rules, keyof NonNullable<z.output<Schema>>> extends never
    ? true
    : Exclude<keyof Rules, keyof NonNullable<z.output<Schema>>>;
const covered: [
  Covers<typeof policyRulesSchema, CostPolicyRules>,
  Covers<typeof budget, TenantBudget>,
  Covers<typeof route, RouteRule>,
  Covers<typeof match, CallMatch>,
  Covers<typeof outputCap, OutputCapRule>,
  Covers<typeof fallback, FallbackRule>,
  Covers<typeof sessionRules, SpeechSessionRules>,
] = [true, true, true, true, true, true, true];
void covered;
