/** The cost categories of the bill, as the design document splits it. */
export type CostCategory = 'bedrock' | 'compute' | 'storage' | 'network';

/**
 * How a saving was made: the response cache, coalescing, routing to a cheaper model, batch inference, or one of
 * Bedrock's own levers the policy chose (a cheaper service tier; cache points it inserted, net of their writes, so
 * negative when writes were not read back; a cheaper global inference profile).
 */
export type SavingStrategy =
  'cache' | 'coalescing' | 'routing' | 'batching' | 'service-tier' | 'prompt-cache' | 'inference-profile';

export const SAVING_STRATEGIES: readonly SavingStrategy[] = [
  'cache',
  'coalescing',
  'routing',
  'batching',
  'service-tier',
  'prompt-cache',
  'inference-profile',
];

export interface Saving {
  readonly strategy: SavingStrategy;
  readonly usd: number;
}

/** Calls whose model had no price: their tokens are counted, their cost is unknown (never taken as $0). */
export interface UnpricedUsage {
  readonly calls: number;
  /** Every input token billed, cache reads and writes included. */
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** One call: what it cost and what it avoided paying. */
export interface SpendEntry {
  readonly at: Date;
  readonly tenantId: string;
  /** Base model id of the model billed (or whose call was avoided). */
  readonly modelId: string;
  readonly category: CostCategory;
  readonly costUsd: number;
  readonly savings: readonly Saving[];
  /** Set when the model had no price: `costUsd` is then 0 and these are the tokens billed (0 for a cache hit). */
  readonly unpriced?: { readonly inputTokens: number; readonly outputTokens: number };
  /**
   * How the call was billed (see billingOf): 'batch', the on-demand service tier that served it ('standard', 'flex',
   * 'priority', 'reserved'), or 'none' for an answer no model call was billed for (cache, coalesced).
   * @default 'standard'
   */
  readonly billing?: string;
  /** The shared budget hold this call took (SharedBudget.hold): a ledger that keeps holds drops it as it writes the entry. */
  readonly holdId?: string;
}

export type SpendDimension = 'tenant' | 'model' | 'day' | 'category' | 'billing' | 'strategy';

export interface SpendQuery {
  readonly tenantId?: string;
  readonly modelId?: string;
  readonly category?: CostCategory;
  /** Inclusive. */
  readonly from?: Date;
  /** Exclusive. */
  readonly to?: Date;
}

export interface SpendSummary {
  readonly calls: number;
  readonly costUsd: number;
  readonly savedUsd: number;
  readonly savedByStrategy: Readonly<Record<SavingStrategy, number>>;
  /** Present when some of the calls had no price: how many, and their tokens. Their cost is not in `costUsd`. */
  readonly unpriced?: UnpricedUsage;
}

export interface SpendGroup extends SpendSummary {
  /** Tenant id, base model id, UTC day (YYYY-MM-DD), category, billing or strategy. */
  readonly key: string;
}

/** Where cost and savings are kept. */
export interface SpendLedger {
  /** Keeps the entry. A ledger in a remote store takes it in memory and writes it later: this never waits for the store. */
  record(entry: SpendEntry): Promise<void>;
  /** Totals of the entries matching the query, optionally grouped by one dimension. */
  totals(
    query: SpendQuery,
    groupBy?: SpendDimension,
  ): Promise<{ readonly total: SpendSummary; readonly groups: readonly SpendGroup[] }>;
}
