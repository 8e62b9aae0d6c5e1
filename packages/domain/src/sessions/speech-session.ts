import type { Clock } from '../clock.port';
import { NovaCostError } from '../errors/nova-cost.error';
import type { SpendEntry, SpendLedger } from '../ledger/spend-ledger.port';
import { resolveModelId } from '../models/model-catalog';
import type { BudgetReservation } from '../policy/cost-policy.port';
import type { ModelPrice } from '../pricing/price-table';
import type { SessionBudget } from './session-budget.port';
import type { ResolvedSessionRules } from './speech-session.rules';
import type { SpeechUsage } from './speech-usage';
import { UsageEventMeter, speechCostOf } from './speech-usage';

/** Why a session ended. */
export type SessionEndReason =
  | 'completed'
  | 'client-left'
  /** The client sent what cannot be relayed (a malformed frame, an event whose signature does not match). */
  | 'client-error'
  | 'upstream-error'
  | 'idle'
  | 'max-duration'
  | 'budget'
  | 'shutting-down'
  | 'refused';

/** What a session used, as recorded. */
export interface SessionSummary {
  readonly tenantId: string;
  /** Base model id. */
  readonly modelId: string;
  readonly reason: SessionEndReason;
  readonly usage: SpeechUsage;
  /** 0 for a model without a price (see `unpriced`). */
  readonly costUsd: number;
  readonly unpriced: boolean;
  readonly durationMs: number;
}

export interface SpeechSessionInit {
  readonly tenantId: string;
  readonly modelId: string;
  readonly limits: ResolvedSessionRules;
  /** undefined: the model has no price here, and the policy lets it run unpriced. */
  readonly price: ModelPrice | undefined;
  readonly worstCaseUsd: number;
  readonly reservation: BudgetReservation;
  readonly budget: SessionBudget;
  readonly ledger: SpendLedger;
  readonly clock: Clock;
  readonly onClosed: () => void;
  readonly onLedgerError?: (error: unknown) => void;
}

/**
 * One admitted session: its limits, its usage metered from Bedrock's usageEvents, the budget holds that cover it.
 * `close` (once, whatever ended the session) settles the holds and records one ledger entry for the session.
 */
export class SpeechSession {
  readonly tenantId: string;
  readonly modelId: string;
  /** Longest the session may last, and longest it may stay without an event either way. */
  readonly maxMs: number;
  readonly idleMs: number;
  private readonly meterOfUsage = new UsageEventMeter();
  private readonly holds: BudgetReservation[];
  private heldUsd: number;
  private readonly startedAt: Date;
  private closing: Promise<SessionSummary> | undefined;
  /** Meterings run one after another: a hold being taken is counted before the next event is judged. */
  private metering: Promise<unknown> = Promise.resolve();

  constructor(private readonly init: SpeechSessionInit) {
    this.tenantId = init.tenantId;
    this.modelId = resolveModelId(init.modelId).baseModelId;
    this.maxMs = init.limits.maxSeconds * 1000;
    this.idleMs = init.limits.idleSeconds * 1000;
    this.holds = [init.reservation];
    this.heldUsd = init.worstCaseUsd;
    this.startedAt = init.clock.now();
  }

  get usage(): SpeechUsage {
    return this.meterOfUsage.total;
  }

  /** What the session cost so far (0 unpriced). */
  get costUsd(): number {
    return this.init.price ? speechCostOf(this.usage, this.init.price) : 0;
  }

  /**
   * Meters one `usageEvent` payload. Resolves with nothing while the session may go on, or with the
   * 'budget-exceeded' error it must end with: it billed past what is held for it, and a budget had no room for
   * another hold of its worst case.
   */
  meter(usageEvent: unknown): Promise<NovaCostError | undefined> {
    const next = this.metering.then(() => this.meterNow(usageEvent));
    this.metering = next.catch(() => undefined);
    return next;
  }

  private async meterNow(usageEvent: unknown): Promise<NovaCostError | undefined> {
    this.meterOfUsage.add(usageEvent);
    if (!this.init.price || this.closing) return undefined;
    while (this.costUsd > this.heldUsd) {
      // Another worst case, or what it takes to cover the cost if one usageEvent billed more than that.
      const amount = Math.max(this.init.worstCaseUsd, this.costUsd - this.heldUsd);
      let more: BudgetReservation;
      try {
        more = await this.init.budget.reserve(this.tenantId, amount);
        try {
          await more.admit();
        } catch (err) {
          more.release();
          throw err;
        }
      } catch (err) {
        if (!NovaCostError.is(err, 'budget-exceeded')) throw err;
        return new NovaCostError(
          'budget-exceeded',
          `the speech session used the $${this.heldUsd.toFixed(4)} held for it and tenant ${this.tenantId}'s budget has no room for more: ${err.message}`,
          { cause: err, details: { ...err.details, reason: 'session-budget', sessionCostUsd: this.costUsd } },
        );
      }
      if (this.closing) {
        more.release(); // the session ended while the hold was being taken
        return undefined;
      }
      this.holds.push(more);
      this.heldUsd += amount;
    }
    return undefined;
  }

  /** Ends the session's accounting: settles its holds, records its entry. Later calls return the first summary. */
  close(reason: SessionEndReason): Promise<SessionSummary> {
    return (this.closing ??= this.settle(reason));
  }

  private async settle(reason: SessionEndReason): Promise<SessionSummary> {
    const { init } = this;
    const endedAt = init.clock.now();
    const usage = this.usage;
    let costUsd = 0;
    try {
      costUsd = this.costUsd;
    } finally {
      // The first hold is replaced by what the session cost (its ledger entry carries it); the others are dropped.
      const [first, ...rest] = this.holds;
      first!.settle(costUsd);
      for (const hold of rest) hold.release();
      init.onClosed();
    }
    const unpriced = init.price === undefined;
    const entry: SpendEntry = {
      at: endedAt,
      tenantId: this.tenantId,
      modelId: this.modelId,
      category: 'bedrock',
      costUsd,
      savings: [],
      ...(unpriced
        ? {
            unpriced: {
              inputTokens: usage.speechInputTokens + usage.textInputTokens,
              outputTokens: usage.speechOutputTokens + usage.textOutputTokens,
            },
          }
        : {}),
      ...(this.holds[0]!.holdId === undefined ? {} : { holdId: this.holds[0]!.holdId }),
    };
    try {
      await init.ledger.record(entry);
    } catch (err) {
      init.onLedgerError?.(err);
    }
    return {
      tenantId: this.tenantId,
      modelId: this.modelId,
      reason,
      usage,
      costUsd,
      unpriced,
      durationMs: endedAt.getTime() - this.startedAt.getTime(),
    };
  }
}
