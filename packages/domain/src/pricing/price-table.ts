/** On-demand price of one model in one region, USD per 1M tokens. */
export interface ModelPrice {
  readonly modelId: string;
  readonly region: string;
  readonly inputPer1M: number;
  readonly outputPer1M: number;
  readonly cacheReadPer1M: number;
  readonly cacheWritePer1M: number;
  /**
   * Factor on every rate when the model is called in-region or through a geo profile rather than a
   * global one. Claude 4.5 models list their global price; regional endpoints cost 10% more.
   * @default 1
   */
  readonly regionalPremium?: number;
  /** Where the figure was read. */
  readonly source: string;
  /** The day it was read (YYYY-MM-DD). */
  readonly asOf: string;
}

const SOURCE = 'https://aws.amazon.com/bedrock/pricing/ (on-demand, per 1K tokens ×1000)';
const AS_OF = '2025-11-01';

type Rates = [input: number, output: number, cacheRead: number, cacheWrite: number, regionalPremium?: number];

// Nova: cache reads cost 25% of input and cache writes carry no premium over input.
// Anthropic: cache writes cost 125% of input, cache reads 10%.
const US_EAST_1: Record<string, Rates> = {
  'amazon.nova-micro-v1:0': [0.035, 0.14, 0.00875, 0.035],
  'amazon.nova-lite-v1:0': [0.06, 0.24, 0.015, 0.06],
  'amazon.nova-pro-v1:0': [0.8, 3.2, 0.2, 0.8],
  'amazon.nova-premier-v1:0': [2.5, 12.5, 0.625, 2.5],
  // Nova Sonic is billed on speech tokens; text tokens are cheaper but a session is dominated by speech.
  'amazon.nova-sonic-v1:0': [3.4, 13.6, 0, 0],
  'amazon.nova-2-multimodal-embeddings-v1:0': [0.135, 0, 0, 0],
  'amazon.titan-embed-text-v2:0': [0.02, 0, 0, 0],
  'cohere.embed-english-v3': [0.1, 0, 0, 0],
  'cohere.embed-multilingual-v3': [0.1, 0, 0, 0],
  'anthropic.claude-3-haiku-20240307-v1:0': [0.25, 1.25, 0.025, 0.3125],
  'anthropic.claude-3-5-haiku-20241022-v1:0': [0.8, 4, 0.08, 1],
  'anthropic.claude-3-5-sonnet-20240620-v1:0': [3, 15, 0.3, 3.75],
  'anthropic.claude-3-5-sonnet-20241022-v2:0': [3, 15, 0.3, 3.75],
  'anthropic.claude-3-7-sonnet-20250219-v1:0': [3, 15, 0.3, 3.75],
  'anthropic.claude-sonnet-4-20250514-v1:0': [3, 15, 0.3, 3.75],
  'anthropic.claude-sonnet-4-5-20250929-v1:0': [3, 15, 0.3, 3.75, 1.1],
  'anthropic.claude-haiku-4-5-20251001-v1:0': [1, 5, 0.1, 1.25, 1.1],
};

// Tokyo lists Anthropic at the US rates and Nova slightly higher.
const AP_NORTHEAST_1: Record<string, Rates> = {
  ...US_EAST_1,
  'amazon.nova-micro-v1:0': [0.046, 0.184, 0.0115, 0.046],
  'amazon.nova-lite-v1:0': [0.079, 0.315, 0.01975, 0.079],
  'amazon.nova-pro-v1:0': [1.05, 4.2, 0.2625, 1.05],
  'amazon.nova-premier-v1:0': [3.28, 16.4, 0.82, 3.28],
};

function rows(region: string, table: Record<string, Rates>): ModelPrice[] {
  return Object.entries(table).map(([modelId, [inputPer1M, outputPer1M, cacheReadPer1M, cacheWritePer1M, regionalPremium]]) => ({
    modelId,
    region,
    inputPer1M,
    outputPer1M,
    cacheReadPer1M,
    cacheWritePer1M,
    ...(regionalPremium === undefined ? {} : { regionalPremium }),
    source: SOURCE.replace('on-demand', `on-demand, ${region}`),
    asOf: AS_OF,
  }));
}

/** The default price table. Pass your own (negotiated rates, new regions) to StaticPricingCatalog. */
export const DEFAULT_PRICES: readonly ModelPrice[] = [...rows('us-east-1', US_EAST_1), ...rows('ap-northeast-1', AP_NORTHEAST_1)];

/** Bedrock batch inference bills half of on-demand. */
export const BATCH_DISCOUNT_MULTIPLIER = 0.5;
