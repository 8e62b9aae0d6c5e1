import type { Clock } from '../clock.port';
import { systemClock } from '../clock.port';
import { NovaCostError } from '../errors/nova-cost.error';
import type { SpendLedger } from '../ledger/spend-ledger.port';
import { findModel, resolveModelId } from '../models/model-catalog';
import type { CostPolicyRules } from '../policy/cost-policy.rules';
import { policyRegion } from '../policy/cost-policy.rules';
import type { PricingCatalog } from '../pricing/pricing-catalog.port';
import type { ModelPrice } from '../pricing/price-table';
import type { SessionBudget } from './session-budget.port';
import type { ResolvedSessionRules } from './speech-session.rules';
import { resolveSessionRules } from './speech-session.rules';
import { SpeechSession } from './speech-session';

export interface SpeechSessionsDeps {
  /** The cost policy's rules: budgets, unpriced models and `sessions`. */
  readonly rules: CostPolicyRules;
  /** Where a session's worst case is held: the cost policy, so calls and sessions share one account. */
  readonly budget: SessionBudget;
  readonly pricing: PricingCatalog;
  readonly ledger: SpendLedger;
  /** @default the system clock */
  readonly clock?: Clock;
  /** Told when the ledger refuses a session's entry. @default ignore */
  readonly onLedgerError?: (error: unknown) => void;
}

/** `record[key]` only when it is the record's own field: a tenant called `constructor` never reads Object.prototype. */
function own<V>(record: Readonly<Record<string, V>> | undefined, key: string): V | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * The use case behind speech-to-speech sessions (Nova Sonic): admission and accounting, while the edge relays the
 * events. A session is admitted when its tenant has fewer than `maxConcurrent` open and its budgets have room for its
 * worst case (the policy's token rates over `maxSeconds`, speech and text at their own prices), which stays held
 * while it runs. It is metered from Bedrock's usageEvents; billing past what is held takes another hold, and when a
 * budget has no room for one the session must end ('budget-exceeded'). Closing it, however it ended, settles the hold
 * and records what it used in the ledger.
 */
export class SpeechSessions {
  private readonly openByTenant = new Map<string, number>();
  private readonly clock: Clock;
  private readonly region: string;

  constructor(private readonly deps: SpeechSessionsDeps) {
    this.clock = deps.clock ?? systemClock;
    this.region = policyRegion(deps.rules);
  }

  /** Sessions open in this process, every tenant's. */
  get openSessions(): number {
    let n = 0;
    for (const count of this.openByTenant.values()) n += count;
    return n;
  }

  /** The limits a tenant's sessions run under. */
  limitsOf(tenantId: string): ResolvedSessionRules {
    const sessions = this.deps.rules.sessions;
    return resolveSessionRules(own(sessions?.byTenant, tenantId), sessions?.default);
  }

  /**
   * Admits a session: 'validation' for a model that does not speak, 'throttled' past `maxConcurrent`,
   * 'budget-exceeded' when a budget has no room for its worst case, 'unknown-price' / 'access-denied' for a model
   * without a price as the policy decides for calls.
   */
  async open(tenantId: string, modelId: string): Promise<SpeechSession> {
    const model = findModel(modelId);
    if (model && model.kind !== 'speech') {
      throw new NovaCostError(
        'validation',
        `model ${modelId} does not take InvokeModelWithBidirectionalStream: use a speech-to-speech model such as amazon.nova-sonic-v1:0`,
        { details: { modelId, reason: 'not-speech' } },
      );
    }
    const limits = this.limitsOf(tenantId);
    const open = this.openByTenant.get(tenantId) ?? 0;
    if (open >= limits.maxConcurrent) {
      throw new NovaCostError(
        'throttled',
        `tenant ${tenantId} has ${open} speech sessions open, the most its policy allows (sessions.maxConcurrent ${limits.maxConcurrent})`,
        { details: { tenantId, reason: 'sessions', maxConcurrent: limits.maxConcurrent } },
      );
    }
    // Counted now, so sessions admitted at the same moment cannot pass the cap together.
    this.openByTenant.set(tenantId, open + 1);
    try {
      const price = this.priceOf(tenantId, modelId);
      const worstCaseUsd = price ? worstCaseOf(limits, price) : 0;
      const reservation = await this.deps.budget.reserve(tenantId, worstCaseUsd);
      try {
        await reservation.admit();
      } catch (err) {
        reservation.release();
        throw err;
      }
      return new SpeechSession({
        tenantId,
        modelId,
        limits,
        price,
        worstCaseUsd,
        reservation,
        budget: this.deps.budget,
        ledger: this.deps.ledger,
        clock: this.clock,
        onClosed: () => this.closed(tenantId),
        ...(this.deps.onLedgerError ? { onLedgerError: this.deps.onLedgerError } : {}),
      });
    } catch (err) {
      this.closed(tenantId);
      throw err;
    }
  }

  private closed(tenantId: string): void {
    const left = (this.openByTenant.get(tenantId) ?? 1) - 1;
    if (left > 0) this.openByTenant.set(tenantId, left);
    else this.openByTenant.delete(tenantId);
  }

  /** The model's price row; undefined for a model without speech and text prices, when the policy lets it run unpriced. */
  private priceOf(tenantId: string, modelId: string): ModelPrice | undefined {
    let reason: unknown;
    try {
      const price = this.deps.pricing.price({ modelId, region: this.region });
      if (price.speech) return price;
      reason = new NovaCostError('unknown-price', `no speech price for model ${modelId} in ${this.region}`);
    } catch (err) {
      if (!NovaCostError.is(err, 'unknown-price')) throw err;
      reason = err;
    }
    const rules = this.deps.rules;
    const baseModelId = resolveModelId(modelId).baseModelId;
    if ((rules.unpricedModels ?? 'forward') === 'refuse') {
      throw new NovaCostError(
        'access-denied',
        `model ${baseModelId} has no speech price in ${this.region}, and the cost policy refuses unpriced models (unpricedModels: 'refuse')`,
        { cause: reason, details: { reason: 'unpriced-model', modelId: baseModelId, region: this.region } },
      );
    }
    const budget = own(rules.budgets?.byTenant, tenantId) ?? rules.budgets?.default;
    if (budget?.dailyUsd !== undefined || budget?.monthlyUsd !== undefined) {
      throw new NovaCostError(
        'unknown-price',
        `model ${baseModelId} has no speech price in ${this.region}, and tenant ${tenantId} has a budget its sessions could not be counted against: add speech rates for it to the price file (NOVA_COST_PRICES)`,
        { cause: reason, details: { modelId: baseModelId, region: this.region, tenantId } },
      );
    }
    return undefined;
  }
}

/** What a session may cost at most: the policy's worst-case token rates over its longest duration. */
export function worstCaseOf(limits: ResolvedSessionRules, price: ModelPrice): number {
  const r = limits.worstCaseTokensPerSecond;
  const s = limits.maxSeconds;
  return (
    (r.textInput * s * price.inputPer1M +
      r.textOutput * s * price.outputPer1M +
      r.speechInput * s * (price.speech?.inputPer1M ?? 0) +
      r.speechOutput * s * (price.speech?.outputPer1M ?? 0)) /
    1_000_000
  );
}
