import type { Clock } from '../clock.port';
import { systemClock } from '../clock.port';
import { NovaCostError } from '../errors/nova-cost.error';
import type { InvocationRequest, Lane, PlannedInvocation } from '../invocation/invocation.types';
import type { RequestFeatures } from '../invocation/request-features';
import { requestFeatures } from '../invocation/request-features';
import type { SpendLedger } from '../ledger/spend-ledger.port';
import type { ModelSpec } from '../models/model-catalog';
import { findModel, resolveModelId } from '../models/model-catalog';
import type { PricingCatalog } from '../pricing/pricing-catalog.port';
import { BudgetGuard } from './budget-guard';
import { CachePointPlanner } from './cache-point-planner';
import { InMemoryPrefixHistory } from './in-memory-prefix-history';
import type { PrefixHistory } from './prefix-history.port';
import { applyOutputCaps, outputBound } from '../invocation/output-cap';
import { allowedResidency, anyFallbackRule, canServe, cheaperGlobalProfile, fallbackChain } from './fallback-chain';
import { chooseServiceTier, tierPlanOf } from './service-tiers';
import type { BudgetReservation, CostPolicy, InvocationPlan } from './cost-policy.port';
import type { SessionBudget } from '../sessions/session-budget.port';
import type { CostPolicyRules, RouteRule, TenantBudget } from './cost-policy.rules';
import { policyRegion } from './cost-policy.rules';
import type { SharedBudget } from './shared-budget.port';

export const DEFAULT_CACHE_TTL_SECONDS = 3600;

export interface RuleBasedCostPolicyDeps {
  readonly pricing: PricingCatalog;
  readonly ledger: SpendLedger;
  /** @default the system clock */
  readonly clock?: Clock;
  /**
   * How old a tenant's spend read from the ledger may get before a budget check re-reads it: set it when the ledger
   * is shared by several processes. @default Infinity (read once per budget window)
   */
  readonly budgetRefreshMs?: number;
  /**
   * Budget holds shared by the fleet (the Redis ledger keeps them): a call admitted by the policy then also holds its
   * worst case there, so processes sharing the ledger stay within a limit together. @default none
   */
  readonly sharedBudget?: SharedBudget;
  /** Told of each call admitted without a fleet hold because the shared budget could not answer (fail open). @default ignore */
  readonly onSharedBudgetUnavailable?: (tenantId: string, error: unknown) => void;
  /**
   * What the prompt-cache payoff guard learns of each tenant's prefixes: pass the Redis one to share it across the
   * fleet. @default in this process
   */
  readonly prefixHistory?: PrefixHistory;
  /** Told when the prefix history fails (the call then gets no cache points). @default ignore */
  readonly onPrefixHistoryError?: (error: unknown) => void;
}

/** The default CostPolicy: cacheability, routing, budgets and lanes from plain-data rules. */
export class RuleBasedCostPolicy implements CostPolicy, SessionBudget {
  private readonly budgets: BudgetGuard;
  private readonly clock: Clock;
  /** A Map, so that no tenant id (`constructor`, `__proto__`) reaches Object.prototype. */
  private readonly budgetByTenant: ReadonlyMap<string, TenantBudget>;
  private readonly cachePoints: CachePointPlanner;
  /** Where calls are made and priced unless a replayed record fixes it: decided once (see policyRegion). */
  private readonly region: string;

  constructor(
    private readonly rules: CostPolicyRules,
    private readonly deps: RuleBasedCostPolicyDeps,
  ) {
    this.budgets = new BudgetGuard(deps.ledger, {
      ...(deps.budgetRefreshMs === undefined ? {} : { refreshMs: deps.budgetRefreshMs }),
      ...(deps.sharedBudget === undefined ? {} : { shared: deps.sharedBudget }),
      ...(deps.onSharedBudgetUnavailable ? { onSharedUnavailable: deps.onSharedBudgetUnavailable } : {}),
    });
    this.clock = deps.clock ?? systemClock;
    this.region = policyRegion(rules);
    this.budgetByTenant = new Map(Object.entries(rules.budgets?.byTenant ?? {}));
    this.cachePoints = new CachePointPlanner(
      rules.cachePoints,
      deps.pricing,
      deps.prefixHistory ?? new InMemoryPrefixHistory(),
      this.clock,
      deps.onPrefixHistoryError,
    );
    validateRules(rules);
    this.refusePricierRoutes(rules);
  }

  async plan(asked: InvocationRequest): Promise<InvocationPlan> {
    // A model outside the catalog is forwarded all the same (Bedrock knows more models than we price): it is
    // neither checked for capabilities nor routed.
    const requested = findModel(asked.modelId);
    // The output cap first: the budget holds, and routes judge, the capped call.
    const capped = applyOutputCaps(asked, requested, this.rules.outputCaps);
    const request: InvocationRequest = capped.applied ? { ...asked, body: capped.body } : asked;
    const features = requestFeatures(request);
    const missing = requested ? [...features.needs].filter((c) => !requested.capabilities.includes(c)) : [];
    if (requested?.kind === 'text' && missing.length > 0) {
      throw new NovaCostError('validation', `model ${request.modelId} does not accept ${missing.join(', ')}`, {
        details: { modelId: request.modelId },
      });
    }
    const region = request.region ?? this.region;
    const budget = this.budgetByTenant.get(request.tenantId) ?? this.rules.budgets?.default;

    // Reserve against the requested model's price: the route taken below can only make the call cheaper.
    // CountTokens is free, and counts for the model asked: nothing to hold, nothing to route.
    const counting = request.operation === 'count-tokens';
    const worstCaseUsd = counting ? 0 : this.worstCase(request, requested, region, features, budget);
    const check = await this.budgets.reserve(request.tenantId, budget, worstCaseUsd, this.clock.now());
    try {
      const route =
        requested && !counting
          ? this.route(request, requested, features, region, check.state === 'soft-limit')
          : undefined;
      const lane: Lane =
        request.hints?.lane ??
        (check.state === 'soft-limit' && (this.rules.deferOverSoftLimit ?? true) ? 'deferrable' : 'interactive');
      const routed = route?.to ?? request.modelId;
      // Where the tenant lets the call be processed: through a cheaper global profile when that is allowed.
      const residency = allowedResidency(request, requested?.id, lane, this.rules.inferenceProfiles);
      const profiled = counting ? undefined : cheaperGlobalProfile(routed, residency, region, this.deps.pricing);
      const modelId = profiled ?? routed;
      const ttlSeconds = this.cacheTtl(request, findModel(modelId), features);
      const serviceTier = chooseServiceTier(request, requested, lane, this.rules.serviceTiers);
      // No rule that inserts points (the default): nothing to plan, and no copy of the request made to ask.
      const cachePoints =
        counting || !this.cachePoints.placesAny
          ? []
          : await this.cachePoints.plan({ ...request, modelId, region, lane }, request.modelId);
      const tier = tierPlanOf(request, serviceTier);
      const call: PlannedInvocation = {
        tenantId: request.tenantId,
        modelId,
        operation: request.operation,
        body: request.body,
        ...(request.parameters === undefined ? {} : { parameters: request.parameters }),
        region,
        lane,
        cache: ttlSeconds > 0 ? { ttlSeconds } : 'none',
        tier,
        estimatedInputTokens: features.estimatedInputTokens,
        cachePoints,
        fallbacks: fallbackChain(
          {
            request: { tenantId: request.tenantId, modelId, operation: request.operation },
            askedModelId: requested?.id,
            lane,
            region,
            residency,
            features,
            defaultMaxOutputTokens: this.rules.defaultMaxOutputTokens,
          },
          this.rules.fallbacks,
          this.deps.pricing,
        ),
        ...(profiled === undefined ? {} : { profiledFrom: routed }),
        requested: asked,
      };
      return {
        call,
        ...(route ? { routedBy: route.name } : {}),
        ...(capped.applied ? { outputCap: capped.applied } : {}),
        budget: check.state,
        reservation: check.reservation,
      };
    } catch (err) {
      check.reservation.release();
      throw err;
    }
  }

  /**
   * Holds `worstCaseUsd` against the tenant's budgets as plan() holds a call's worst case, in the same account, so
   * calls and sessions of a tenant never together commit more than a limit: for spend no plan covers (sessions).
   */
  async reserve(tenantId: string, worstCaseUsd: number): Promise<BudgetReservation> {
    const budget = this.budgetByTenant.get(tenantId) ?? this.rules.budgets?.default;
    return (await this.budgets.reserve(tenantId, budget, worstCaseUsd, this.clock.now())).reservation;
  }

  /**
   * The budget reservation is priced on the requested model, which holds only if a route never leads to a model
   * that costs more per token. A route that does is a configuration mistake, refused at construction.
   */
  private refusePricierRoutes(rules: CostPolicyRules): void {
    const region = this.region;
    for (const route of rules.routes ?? []) {
      for (const from of route.from) {
        let pricier: boolean;
        try {
          const a = this.deps.pricing.price({ modelId: from, region });
          const b = this.deps.pricing.price({ modelId: route.to, region });
          pricier = b.inputPer1M > a.inputPer1M || b.outputPer1M > a.outputPer1M;
        } catch {
          continue; // a model without a price fails at call time with its own clear error
        }
        if (pricier) {
          throw new NovaCostError(
            'configuration',
            `cost policy: route "${route.name}" sends ${from} to ${route.to}, which costs more per token in ${region}`,
            {
              details: { route: route.name },
            },
          );
        }
      }
    }
  }

  /**
   * The most the call may cost. A model without a price costs nothing we can count: allowed only when the policy
   * forwards unpriced models and the tenant has no budget it could overrun unseen.
   */
  private worstCase(
    request: InvocationRequest,
    model: ModelSpec | undefined,
    region: string,
    f: RequestFeatures,
    budget: TenantBudget | undefined,
  ): number {
    const usage = {
      inputTokens: f.estimatedInputTokens,
      // Its output cap, or the model's maximum when it sets none.
      outputTokens: outputBound(model, f, this.rules.defaultMaxOutputTokens),
      cacheReadInputTokens: 0,
      cacheWriteInputTokens: 0,
    };
    // A fallback chain may end on another profile of the model, up to its in-region price: the hold covers that.
    const dearest =
      model !== undefined && anyFallbackRule(request, model.id, this.rules.fallbacks)
        ? resolveModelId(request.modelId).baseModelId
        : request.modelId;
    try {
      return this.deps.pricing.cost({ modelId: dearest, region, usage });
    } catch (err) {
      if (!NovaCostError.is(err, 'unknown-price')) throw err;
      if ((this.rules.unpricedModels ?? 'forward') === 'refuse') {
        throw new NovaCostError(
          'access-denied',
          `model ${request.modelId} has no price in ${region}, and the cost policy refuses unpriced models (unpricedModels: 'refuse')`,
          {
            cause: err,
            details: { reason: 'unpriced-model', modelId: request.modelId, region },
          },
        );
      }
      if (budget?.dailyUsd !== undefined || budget?.monthlyUsd !== undefined) {
        throw new NovaCostError(
          'unknown-price',
          `model ${request.modelId} has no price in ${region}, and tenant ${request.tenantId} has a budget its calls could not be counted against: add the model to the price file (NOVA_COST_PRICES)`,
          {
            cause: err,
            details: { modelId: request.modelId, region, tenantId: request.tenantId },
          },
        );
      }
      return 0;
    }
  }

  private cacheTtl(request: InvocationRequest, model: ModelSpec | undefined, f: RequestFeatures): number {
    if (request.hints?.cache === 'opt-out') return 0;
    const deterministic = model?.kind === 'embedding' || f.temperature === 0 || request.operation === 'count-tokens';
    const optedIn = request.hints?.cache === 'opt-in' && (this.rules.cache?.allowOptIn ?? true);
    if (!deterministic && !optedIn) return 0;
    const c = this.rules.cache;
    return (
      (model ? own(c?.ttlSecondsByModel, model.id) : undefined) ??
      own(c?.ttlSecondsByOperation, request.operation) ??
      c?.defaultTtlSeconds ??
      DEFAULT_CACHE_TTL_SECONDS
    );
  }

  private priced(modelId: string, region: string): boolean {
    try {
      this.deps.pricing.price({ modelId, region });
      return true;
    } catch {
      return false;
    }
  }

  private route(
    request: InvocationRequest,
    from: ModelSpec,
    f: RequestFeatures,
    region: string,
    overSoftLimit: boolean,
  ): RouteRule | undefined {
    return (this.rules.routes ?? []).find((rule) => {
      if (!rule.from.includes(from.id)) return false;
      const w = rule.when ?? {};
      if (w.onlyOverSoftLimit && !overSoftLimit) return false;
      if (w.maxInputTokens !== undefined && f.estimatedInputTokens > w.maxInputTokens) return false;
      if (w.maxOutputTokens !== undefined && (f.maxOutputTokens === undefined || f.maxOutputTokens > w.maxOutputTokens))
        return false;
      const to = findModel(rule.to);
      // Never to a model without a price here: what it cost could not be counted, nor what routing saved.
      return (
        to !== undefined &&
        this.priced(rule.to, region) &&
        canServe(to, from, request, f, this.rules.defaultMaxOutputTokens)
      );
    });
  }
}

/** `record[key]` only when it is the record's own field: a key like `constructor` never reads Object.prototype. */
function own<V>(record: Readonly<Partial<Record<string, V>>> | undefined, key: string): V | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * What only the domain can judge of a policy: that its routes name models of the catalog. The document's shape,
 * types and ranges are the schema's (`@nova-cost/policy-schema`, which the gateway and the report read it with).
 */
function validateRules(rules: CostPolicyRules): void {
  for (const r of rules.routes ?? []) {
    for (const id of [...r.from, r.to])
      if (!findModel(id))
        throw new NovaCostError(
          'configuration',
          `cost policy: route "${r.name}" names unknown model ${JSON.stringify(id)}`,
        );
  }
}
