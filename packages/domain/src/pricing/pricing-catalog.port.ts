import type { BillingMode, TokenUsage } from '../invocation/invocation.types';
import type { ModelPrice } from './price-table';

export interface PriceQuery {
  readonly modelId: string;
  readonly region: string;
}

export interface CostQuery extends PriceQuery {
  readonly usage: TokenUsage;
  /** @default 'on-demand' */
  readonly billing?: BillingMode;
  /** The Bedrock service tier the call ran in ('priority', 'flex'…); priced when the table knows it. @default standard */
  readonly serviceTier?: string;
}

/** Prices of models. An unknown model or region is an 'unknown-price' error, never $0. */
export interface PricingCatalog {
  /** Per-1M rates for the model as addressed (profile scope applied). */
  price(query: PriceQuery): ModelPrice;
  /** USD cost of one call. */
  cost(query: CostQuery): number;
}
