/** Cost and saving figures of one lever over a set of calls. */
export interface LeverFigures {
  /** Calls the lever changed (for a group: all its calls). */
  calls: number;
  /** Tokens of those calls before, and billed after (0 for a call avoided). */
  tokensBefore: number;
  tokensAfter: number;
  /** What those calls cost before, and after. */
  usdBefore: number;
  usdAfter: number;
  savedUsd: number;
}

/** Figures of a set of calls (all, one model, one tenant, one day): before is the bill as logged, after with nova-cost. */
export interface GroupFigures extends LeverFigures {
  key: string;
  /** savedUsd / usdBefore. */
  savedShare: number;
  byLever: Record<string, LeverFigures>;
}

export interface LeverInfo {
  readonly id: string;
  readonly title: string;
  /** measured: the gateway makes this saving today; planned: the domain does not decide it yet. */
  readonly status: 'measured' | 'planned';
  readonly note: string;
}

export interface ChecklistRow {
  readonly category: string;
  /** The design document's wording, and an English gloss. */
  readonly measure: string;
  readonly measureEn: string;
  readonly assumed: string;
  /** Measured share of the Bedrock bill in the logs, or null where invocation logs cannot tell. */
  readonly measuredShare: number | null;
  readonly note: string;
}

export interface TopPrompt {
  /** First 16 hex digits of the request key's body digest. */
  readonly fingerprint: string;
  readonly tenantId: string;
  readonly modelId: string;
  /** Calls served without a model call (cache or coalesced). */
  readonly repeats: number;
  readonly savedUsd: number;
  /** Only with --show-prompts. */
  readonly preview?: string;
}

/** Deferrable calls the batch job queue answered one way (a job, on demand for a reason, the cache). */
export interface DeferredFigures {
  route: 'batch' | 'on-demand' | 'cache';
  /** Why on demand rather than in a job: 'below-minimum-records', 'deadline', 'record-too-large'. */
  reason?: string;
  calls: number;
  usdBefore: number;
  usdAfter: number;
}

export interface PriceUsed {
  readonly modelId: string;
  readonly region: string;
  readonly inputPer1M: number;
  readonly outputPer1M: number;
  readonly source: string;
  readonly asOf: string;
}

export interface CountedReason {
  readonly reason: string;
  readonly calls: number;
  readonly usd: number;
}

/** Names the JSON's shape; bumped when a field changes meaning or goes away (new fields do not bump it). */
export const REPORT_SCHEMA = 'nova-cost/savings-report/1';

/** The report's figures: what the HTML shows and the JSON holds. */
export interface SavingsReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly kind: 'replay' | 'gateway';
  readonly generatedAt: string;
  readonly source: string;
  readonly period: { readonly from: string | null; readonly to: string | null };
  readonly total: GroupFigures;
  readonly levers: readonly LeverInfo[];
  readonly byModel: readonly GroupFigures[];
  readonly byTenant: readonly GroupFigures[];
  readonly byDay: readonly GroupFigures[];
  /** Spend before and after per hour (spans up to 4 days) or per day. */
  readonly series: {
    readonly step: 'hour' | 'day';
    readonly points: readonly { t: string; usdBefore: number; usdAfter: number }[];
  };
  readonly potential: readonly {
    readonly lever: string;
    readonly calls: number;
    readonly savedUsd: number;
    readonly note: string;
  }[];
  /**
   * Calls of deferrable callers (identity rules), sent through the async API to the batch job queue, by how it
   * answered them. Empty for a gateway's ledger.
   */
  readonly deferred?: readonly DeferredFigures[];
  readonly checklist: readonly ChecklistRow[];
  readonly topPrompts: readonly TopPrompt[];
  readonly notReplayed: readonly CountedReason[];
  readonly failed: readonly { readonly errorCode: string; readonly calls: number }[];
  readonly unpriced: readonly {
    readonly modelId: string;
    readonly region: string;
    readonly calls: number;
    readonly tokens: number;
    readonly reason: string;
  }[];
  readonly problems: {
    readonly count: number;
    readonly byReason: Readonly<Record<string, number>>;
    readonly named: readonly { readonly file: string; readonly line: number; readonly reason: string }[];
  };
  readonly records: { readonly read: number; readonly late: number; readonly files: number };
  readonly prices: readonly PriceUsed[];
  readonly assumptions: readonly string[];
}
