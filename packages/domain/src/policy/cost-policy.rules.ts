import type { Operation } from '../invocation/invocation.types';
import type { CallMatch } from './call-match';
import type { CircuitSettings } from './circuit-breakers.port';
import type { FallbackRule, InferenceProfileRule } from './fallback.rules';
import type { SpeechSessionRules } from '../sessions/speech-session.rules';

/** Conditions under which a route applies. Every condition given must hold. */
export interface RouteConditions {
  /** Estimated prompt tokens at most this. */
  readonly maxInputTokens?: number;
  /** The caller's output cap (maxTokens) at most this; a request without a cap does not match. */
  readonly maxOutputTokens?: number;
  /** Only when a budget's soft threshold is crossed. @default false */
  readonly onlyOverSoftLimit?: boolean;
}

/** Send requests for one of `from` to the cheaper `to` when `when` holds. */
export interface RouteRule {
  readonly name: string;
  /** Base model ids this rule takes requests from. */
  readonly from: readonly string[];
  /** Model id to send them to. The route is skipped when that model lacks a capability the request needs. */
  readonly to: string;
  readonly when?: RouteConditions;
}

/**
 * What a caller refused for a spent budget should do: 'retry-later' (the limit lifts at the end of its period, as a
 * throttle does) or 'stop' (until someone raises the budget). The edge says it in its own terms (an HTTP status).
 */
export type BudgetOutcome = 'retry-later' | 'stop';

export interface TenantBudget {
  /** USD per UTC day. @default no limit */
  readonly dailyUsd?: number;
  /** USD per UTC month. @default no limit */
  readonly monthlyUsd?: number;
  /** Share of a limit past which requests are routed cheaper and marked deferrable. @default 0.8 */
  readonly softThreshold?: number;
  /**
   * What a refused call is told once a limit is reached: 'retry-later' (after the end of the period), or 'stop' until
   * someone raises the budget.
   * @default 'retry-later' for the daily limit, 'stop' for the monthly limit
   */
  readonly onExceeded?: BudgetOutcome;
}

/**
 * An output cap for some calls: the `maxTokens` a request gets when it sets none, and the most it may ask for. Output
 * tokens cost 4-5x input, and a long answer nobody reads is the dearest part of a call. The cap is read and written
 * where Bedrock reads it (see outputCapField), so the budget holds the capped worst case.
 */
export interface OutputCapRule {
  /** Which calls the rule is for (the lane is the caller's hint here). @default every call */
  readonly match?: CallMatch;
  /**
   * Written where Bedrock reads the cap when the request sets none (never into an Anthropic InvokeModel body, which
   * Bedrock refuses without its own `max_tokens`). At most the model's maximum output. @default none
   */
  readonly defaultMaxTokens?: number;
  /** The most a request may ask for. @default no ceiling */
  readonly maxTokens?: number;
  /**
   * A request asking for more than `maxTokens`: 'clamp' lowers its cap to `maxTokens` (the answer may then stop
   * early, with stop reason max_tokens); 'refuse' fails it with 400 ValidationException naming the ceiling.
   * @default 'clamp'
   */
  readonly onExceeded?: 'clamp' | 'refuse';
}

/** The Bedrock service tiers a policy may choose: Flex bills less and may wait, Priority bills more and answers first. */
export type PolicyServiceTier = 'flex' | 'priority' | 'default';

/**
 * A service tier for some calls, e.g. deferrable lanes or named tenants to `flex`, premium tenants to `priority`.
 * A tier a model or region does not offer is learned at the first refusal and the call sent in the default tier
 * instead: it never fails a call. A caller's own tier (Converse `serviceTier`, InvokeModel's header) is kept.
 */
export interface ServiceTierRule {
  /** Which calls the rule is for (the lane as planned). @default every call */
  readonly match?: CallMatch;
  readonly tier: PolicyServiceTier;
}

/**
 * Cache points the policy inserts into prompts (Bedrock prompt caching: reads bill 0.1x input on Claude, 0.25x on
 * Nova), where the model allows them and the payoff guard expects the write to pay (see guardCachePoints).
 */
export interface CachePointRule {
  /** Which calls the rule is for (the lane as planned). @default every call */
  readonly match?: CallMatch;
  /** 'guarded': inserted where the expected reuse pays for the write; 'never': the caller's own points only. */
  readonly insert: 'guarded' | 'never';
}

/** The default policy, as plain data (loadable from a JSON config file). */
export interface CostPolicyRules {
  /**
   * The region calls are made and priced in (a request names one only when replayed from a log): read through
   * policyRegion. The gateway sets it to AWS_REGION. @default 'us-east-1'
   */
  readonly region?: string;
  readonly cache?: {
    /** @default 3600 */
    readonly defaultTtlSeconds?: number;
    /** TTL per base model id; 0 disables caching for that model. @default {} */
    readonly ttlSecondsByModel?: Readonly<Record<string, number>>;
    /** TTL per operation. @default {} */
    readonly ttlSecondsByOperation?: Readonly<Partial<Record<Operation, number>>>;
    /** Honour a caller's explicit opt-in for non-deterministic requests. @default true */
    readonly allowOptIn?: boolean;
  };
  /** Tried in order; the first that applies wins. @default [] */
  readonly routes?: readonly RouteRule[];
  readonly budgets?: {
    /** For tenants not listed in byTenant. @default no limit */
    readonly default?: TenantBudget;
    /** Budgets by tenant id, read as own fields only (a tenant called `constructor` gets the default). */
    readonly byTenant?: Readonly<Record<string, TenantBudget>>;
  };
  /**
   * Output tokens assumed for the worst case of a request that sets no cap, for a model whose maximum output the
   * catalog does not know (for the others, their maximum). @default 4096
   */
  readonly defaultMaxOutputTokens?: number;
  /** Output caps; the first rule whose `match` fits a call applies to it. @default [] (the caller's cap stands) */
  readonly outputCaps?: readonly OutputCapRule[];
  /** Service tiers; the first rule whose `match` fits a call names its tier. @default [] (Bedrock's default tier) */
  readonly serviceTiers?: readonly ServiceTierRule[];
  /** Cache points; the first rule whose `match` fits a call decides. @default [] (none inserted) */
  readonly cachePoints?: readonly CachePointRule[];
  /**
   * Data residency, and so inference profiles; the first rule whose `match` fits a call decides.
   * @default [] (every call stays where the caller addressed it)
   */
  readonly inferenceProfiles?: readonly InferenceProfileRule[];
  /** Fallback chains; the first rule whose `match` fits a call gives its chain. @default [] (no fallback) */
  readonly fallbacks?: readonly FallbackRule[];
  /** The circuit breakers of fallback targets (the gateway builds them). @default DEFAULT_CIRCUIT_SETTINGS */
  readonly circuitBreaker?: CircuitSettings;
  /** Mark requests deferrable once a soft threshold is crossed. @default true */
  readonly deferOverSoftLimit?: boolean;
  /**
   * What to do with a call to a model that has no price in the region (a model outside the catalog, or a region the
   * price table lacks). 'forward': call it, record its token usage marked unpriced (never as $0); a tenant with a
   * budget is still refused (kind 'unknown-price'), since what it spends could not be counted. 'refuse': refuse
   * every such call (kind 'access-denied', reason 'unpriced-model'). Unpriced models are never a route target.
   * @default 'forward'
   */
  readonly unpricedModels?: 'forward' | 'refuse';
  /**
   * Speech-to-speech sessions (Nova Sonic over InvokeModelWithBidirectionalStream): how many a tenant may hold open,
   * how long one may last and stay idle, and the token rates its worst case is held for. @default DEFAULT_SESSION_RULES
   */
  readonly sessions?: {
    /** For tenants not listed in byTenant. */
    readonly default?: SpeechSessionRules;
    /** By tenant id, field by field over `default`; read as own fields only. */
    readonly byTenant?: Readonly<Record<string, SpeechSessionRules>>;
  };
}

/** The region of a policy's calls: the one place its default is decided. */
export function policyRegion(rules: Pick<CostPolicyRules, 'region'>): string {
  return rules.region ?? 'us-east-1';
}
