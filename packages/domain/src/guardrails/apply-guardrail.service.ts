import type { Clock } from '../clock.port';
import { systemClock } from '../clock.port';
import { NovaCostError } from '../errors/nova-cost.error';
import type { InvokeOptions } from '../invocation/invocation.types';
import { isBilled } from '../invocation/invocation.types';
import type { Saving, SpendLedger } from '../ledger/spend-ledger.port';
import { DEFAULT_CACHE_TTL_SECONDS } from '../policy/rule-based-cost-policy';
import type { SessionBudget } from '../sessions/session-budget.port';
import { guardrailLabel } from './guardrail-key';
import type { GuardrailPrice } from './guardrail-price-table';
import { DEFAULT_GUARDRAIL_PRICES, guardrailCost, guardrailPriceIn } from './guardrail-price-table';
import type { GuardrailUsage } from './guardrail-usage';
import { guardrailUsageOf, guardrailWorstCase } from './guardrail-usage';
import type { GuardrailApplier, GuardrailRequest, GuardrailResult } from './guardrail.types';

export interface ApplyGuardrailDeps {
  /** Holds the call's worst case against the tenant's budgets (the cost policy does). */
  readonly budget: SessionBudget;
  /** The chain: cache → Bedrock. Its billed link awaits InvokeOptions.admit before calling Bedrock. */
  readonly applier: GuardrailApplier;
  readonly ledger: SpendLedger;
  /** @default DEFAULT_GUARDRAIL_PRICES */
  readonly prices?: readonly GuardrailPrice[];
  /** Region calls are priced in when the request names none: the cost policy's (policyRegion). */
  readonly region: string;
  /**
   * How long the answers of a numbered guardrail version are cached (a DRAFT's only when the caller opts in: it
   * changes whenever the guardrail is edited); 0 never caches. @default 3600
   */
  readonly cacheTtlSeconds?: number;
  /** @default the system clock */
  readonly clock?: Clock;
  /** Told when the ledger refuses an entry; the caller still gets its answer. @default ignore */
  readonly onLedgerError?: (error: unknown) => void;
}

export interface GuardrailOutcome {
  readonly result: GuardrailResult;
  /** The request as sent down the chain (region and cache decision set). */
  readonly request: GuardrailRequest;
  /** `guardrail/<id>`: the ledger's and the metrics' name for it. */
  readonly label: string;
  readonly usage: GuardrailUsage;
  /** What this call was billed: 0 from the cache, and when the region has no guardrail price (see `unpriced`). */
  readonly costUsd: number;
  readonly savedUsd: number;
  readonly savings: readonly Saving[];
  readonly unpriced: boolean;
}

/**
 * The use case behind ApplyGuardrail: hold its worst case (every priced policy over every text unit) against the
 * tenant's budget, apply the guardrail through the chain (cached by content), price the text units Bedrock reports,
 * record it in the ledger (category bedrock, model `guardrail/<id>`).
 */
export class ApplyGuardrail {
  constructor(private readonly deps: ApplyGuardrailDeps) {
    const ttl = deps.cacheTtlSeconds;
    if (ttl !== undefined && !(Number.isFinite(ttl) && ttl >= 0))
      throw new NovaCostError('configuration', `ApplyGuardrail cacheTtlSeconds must be a number >= 0, got ${ttl}`);
  }

  async execute(request: GuardrailRequest, options: InvokeOptions = {}): Promise<GuardrailOutcome> {
    const label = guardrailLabel(request);
    const region = request.region ?? this.deps.region;
    let price: GuardrailPrice | undefined;
    try {
      price = guardrailPriceIn(this.deps.prices ?? DEFAULT_GUARDRAIL_PRICES, region);
    } catch (err) {
      if (!NovaCostError.is(err, 'unknown-price')) throw err;
    }
    const worstCaseUsd = price ? guardrailCost(guardrailWorstCase(request.body), price) : 0;
    const reservation = await this.deps.budget.reserve(request.tenantId, worstCaseUsd);
    const ttlSeconds = this.cacheTtl(request);
    const planned: GuardrailRequest = { ...request, region, ...(ttlSeconds > 0 ? { cache: { ttlSeconds } } : {}) };
    let result: GuardrailResult;
    try {
      result = await this.deps.applier.apply(planned, { ...options, admit: () => reservation.admit() });
    } catch (err) {
      reservation.release();
      throw err;
    }
    const usage = guardrailUsageOf(result.body);
    const onDemand = price ? guardrailCost(usage, price) : 0;
    const costUsd = isBilled(result) ? onDemand : 0;
    const savings: Saving[] =
      isBilled(result) || onDemand === 0
        ? []
        : [{ strategy: result.cache === 'hit' ? 'cache' : 'coalescing', usd: onDemand }];
    reservation.settle(costUsd);
    try {
      await this.deps.ledger.record({
        at: (this.deps.clock ?? systemClock).now(),
        tenantId: request.tenantId,
        modelId: label,
        category: 'bedrock',
        costUsd,
        savings,
        ...(price ? {} : { unpriced: { inputTokens: 0, outputTokens: 0 } }),
        ...(reservation.holdId === undefined ? {} : { holdId: reservation.holdId }),
      });
    } catch (err) {
      this.deps.onLedgerError?.(err);
    }
    const savedUsd = savings.reduce((sum, s) => sum + s.usd, 0);
    return { result, request: planned, label, usage, costUsd, savedUsd, savings, unpriced: !price };
  }

  private cacheTtl(request: GuardrailRequest): number {
    const cache = request.hints?.cache;
    if (cache === 'opt-out') return 0;
    if (request.guardrailVersion === 'DRAFT' && cache !== 'opt-in') return 0;
    return this.deps.cacheTtlSeconds ?? DEFAULT_CACHE_TTL_SECONDS;
  }
}
