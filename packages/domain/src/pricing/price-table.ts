/** On-demand price of one model in one region, USD per 1M tokens. */
export interface ModelPrice {
  readonly modelId: string;
  readonly region: string;
  readonly inputPer1M: number;
  readonly outputPer1M: number;
  readonly cacheReadPer1M: number;
  /** A cache write with the default (5-minute) TTL. */
  readonly cacheWritePer1M: number;
  /** A cache write with a 1-hour TTL (Anthropic: twice input). @default cacheWritePer1M */
  readonly cacheWrite1hPer1M?: number;
  /**
   * Factor on every rate when the model is called in-region or through a geo profile rather than a
   * global one. Claude 4.5 models list their global price; regional endpoints cost 10% more.
   * @default 1
   */
  readonly regionalPremium?: number;
  /** Where and when the regional premium was read, when not with the rates. @default the row's source and asOf */
  readonly regionalPremiumSource?: Provenance;
  /**
   * Factor on every rate per Bedrock service tier (`priority`, `flex`…) where the tier's price is known; a tier not
   * listed is priced as standard on-demand. @default {}
   */
  readonly tierMultipliers?: Readonly<Record<string, number>>;
  /** Where and when the tier multipliers were read, when not with the rates. @default the row's source and asOf */
  readonly tierSource?: Provenance;
  /**
   * Speech rates of a speech-to-speech model (Nova Sonic), which bills speech tokens apart from text tokens:
   * `inputPer1M` and `outputPer1M` are then its text rates. @default none (the model bills no speech)
   */
  readonly speech?: { readonly inputPer1M: number; readonly outputPer1M: number };
  /** Where the figure was read. */
  readonly source: string;
  /** The day it was read (YYYY-MM-DD). */
  readonly asOf: string;
}

const PAGE = 'https://aws.amazon.com/bedrock/pricing/';
/** Read from the pricing page (on-demand, per 1K tokens ×1000) in November 2025. */
const READ_2025: Provenance = { source: `${PAGE} (on-demand, per 1K tokens ×1000)`, asOf: '2025-11-01' };
/**
 * Added 2026-11-29 without access to the pricing page from the build machine: the rates are the published ones as
 * far as we know them, cross-checked against third-party tables (LiteLLM's model prices; Anthropic's own prices,
 * which Bedrock's global endpoints match). Verify them with `npm run prices` (the Price List API) before relying on
 * them for billing; Claude prices are not in the Price List API.
 */
const UNVERIFIED_2026: Provenance = {
  source: `${PAGE} (not verified from here: cross-checked against third-party tables; run npm run prices)`,
  asOf: '2026-11-29',
};

/** Where a figure was read, and the day it was read (YYYY-MM-DD). */
export interface Provenance {
  readonly source: string;
  readonly asOf: string;
}

type Rates = [
  input: number,
  output: number,
  cacheRead: number,
  cacheWrite: number,
  options?: {
    regionalPremium?: number;
    tiers?: Record<string, number>;
    read?: Provenance;
    speech?: { inputPer1M: number; outputPer1M: number };
  },
];

/** Bedrock's Priority tier costs 75% more than standard, Flex half (models that offer them). Not verified from here. */
const PRIORITY_FLEX = { priority: 1.75, flex: 0.5 };
const TIERS_READ: Provenance = {
  source: `${PAGE} (service tiers: Priority +75%, Flex -50% of standard on-demand; not verified from here: run npm run prices)`,
  asOf: '2026-11-29',
};
/**
 * Global cross-Region inference profiles of Claude 4.5 and later cost about 10% less than geographic ones and the
 * in-region endpoint, for input and output tokens alike, priced from the source region: the table lists the global
 * price and the others at 1.1x.
 */
const PREMIUM_READ: Provenance = {
  source:
    'https://docs.aws.amazon.com/bedrock/latest/userguide/global-cross-region-inference.html (global cross-Region inference: about 10% below geographic; not verified from here: run npm run prices)',
  asOf: '2026-11-29',
};
const CLAUDE_45_ON = { regionalPremium: 1.1, read: UNVERIFIED_2026 };

// Nova: cache reads cost 25% of input and cache writes carry no premium over input.
// Anthropic: cache writes cost 125% of input, cache reads 10% (5% for Sonnet and Opus 5.5).
const US_EAST_1: Record<string, Rates> = {
  'amazon.nova-micro-v1:0': [0.035, 0.14, 0.00875, 0.035, { tiers: PRIORITY_FLEX }],
  'amazon.nova-lite-v1:0': [0.06, 0.24, 0.015, 0.06, { tiers: PRIORITY_FLEX }],
  'amazon.nova-pro-v1:0': [0.8, 3.2, 0.2, 0.8, { tiers: PRIORITY_FLEX }],
  'amazon.nova-premier-v1:0': [2.5, 12.5, 0.625, 2.5],
  'amazon.nova-2-lite-v1:0': [0.3, 2.5, 0.075, 0.3, { tiers: PRIORITY_FLEX, read: UNVERIFIED_2026 }],
  // Speech-to-speech: Nova Sonic bills speech tokens (speech) apart from text tokens (the row's own rates); a session
  // is mostly speech. These two rows are the price table's speech block.
  'amazon.nova-sonic-v1:0': [0.06, 0.24, 0, 0, { speech: { inputPer1M: 3.4, outputPer1M: 13.6 } }],
  'amazon.nova-2-sonic-v1:0': [0.33, 2.75, 0, 0, { speech: { inputPer1M: 3, outputPer1M: 12 }, read: UNVERIFIED_2026 }],
  'amazon.nova-2-multimodal-embeddings-v1:0': [0.135, 0, 0, 0],
  'amazon.titan-embed-text-v1': [0.1, 0, 0, 0, { read: UNVERIFIED_2026 }],
  'amazon.titan-embed-text-v2:0': [0.02, 0, 0, 0],
  'cohere.embed-english-v3': [0.1, 0, 0, 0],
  'cohere.embed-multilingual-v3': [0.1, 0, 0, 0],
  'cohere.embed-v4:0': [0.12, 0, 0, 0, { read: UNVERIFIED_2026 }],
  'anthropic.claude-3-haiku-20240307-v1:0': [0.25, 1.25, 0.025, 0.3125],
  'anthropic.claude-3-5-haiku-20241022-v1:0': [0.8, 4, 0.08, 1],
  'anthropic.claude-3-5-sonnet-20240620-v1:0': [3, 15, 0.3, 3.75],
  'anthropic.claude-3-5-sonnet-20241022-v2:0': [3, 15, 0.3, 3.75],
  'anthropic.claude-3-7-sonnet-20250219-v1:0': [3, 15, 0.3, 3.75],
  'anthropic.claude-sonnet-4-20250514-v1:0': [3, 15, 0.3, 3.75],
  'anthropic.claude-sonnet-4-5-20250929-v1:0': [3, 15, 0.3, 3.75, { regionalPremium: 1.1 }],
  'anthropic.claude-haiku-4-5-20251001-v1:0': [1, 5, 0.1, 1.25, { regionalPremium: 1.1 }],
  'anthropic.claude-opus-4-1-20250805-v1:0': [15, 75, 1.5, 18.75, { read: UNVERIFIED_2026 }],
  'anthropic.claude-opus-4-5-20251101-v1:0': [5, 25, 0.5, 6.25, CLAUDE_45_ON],
  'anthropic.claude-opus-4-6-v1': [5, 25, 0.5, 6.25, CLAUDE_45_ON],
  'anthropic.claude-sonnet-4-6': [3, 15, 0.3, 3.75, CLAUDE_45_ON],
  'anthropic.claude-sonnet-5': [2, 10, 0.2, 2.5, CLAUDE_45_ON],
  'anthropic.claude-opus-5': [5, 25, 0.5, 6.25, CLAUDE_45_ON],
  // Haiku 5.5 bills prompts over 100k tokens at a higher rate: not modelled, so long prompts are underpriced.
  'anthropic.claude-haiku-5-5': [0.1, 0.5, 0.01, 0.125, CLAUDE_45_ON],
  'anthropic.claude-sonnet-5-5': [2, 10, 0.1, 2.5, CLAUDE_45_ON],
  'anthropic.claude-opus-5-5': [4, 20, 0.2, 5, CLAUDE_45_ON],
  'meta.llama3-1-8b-instruct-v1:0': [0.22, 0.22, 0, 0, { read: UNVERIFIED_2026 }],
  'meta.llama3-1-70b-instruct-v1:0': [0.72, 0.72, 0, 0, { read: UNVERIFIED_2026 }],
  'meta.llama3-3-70b-instruct-v1:0': [0.72, 0.72, 0, 0, { read: UNVERIFIED_2026 }],
  'meta.llama4-scout-17b-instruct-v1:0': [0.17, 0.66, 0, 0, { read: UNVERIFIED_2026 }],
  'meta.llama4-maverick-17b-instruct-v1:0': [0.24, 0.97, 0, 0, { read: UNVERIFIED_2026 }],
  'mistral.mistral-7b-instruct-v0:2': [0.15, 0.2, 0, 0, { read: UNVERIFIED_2026 }],
  'mistral.mixtral-8x7b-instruct-v0:1': [0.45, 0.7, 0, 0, { read: UNVERIFIED_2026 }],
  'mistral.mistral-small-2402-v1:0': [1, 3, 0, 0, { read: UNVERIFIED_2026 }],
  'mistral.mistral-large-2402-v1:0': [4, 12, 0, 0, { read: UNVERIFIED_2026 }],
};

// Tokyo lists Anthropic at the US rates and Nova slightly higher; it serves neither Llama nor Mistral on demand.
const AP_NORTHEAST_1: Record<string, Rates> = {
  ...Object.fromEntries(
    Object.entries(US_EAST_1).filter(
      ([id]) => !id.startsWith('meta.') && !id.startsWith('mistral.') && id !== 'amazon.nova-2-lite-v1:0',
    ),
  ),
  'amazon.nova-micro-v1:0': [0.046, 0.184, 0.0115, 0.046],
  'amazon.nova-lite-v1:0': [0.079, 0.315, 0.01975, 0.079],
  'amazon.nova-pro-v1:0': [1.05, 4.2, 0.2625, 1.05],
  'amazon.nova-premier-v1:0': [3.28, 16.4, 0.82, 3.28],
};

function rows(region: string, table: Record<string, Rates>): ModelPrice[] {
  return Object.entries(table).map(
    ([modelId, [inputPer1M, outputPer1M, cacheReadPer1M, cacheWritePer1M, options = {}]]) => {
      const read = options.read ?? READ_2025;
      return {
        modelId,
        region,
        inputPer1M,
        outputPer1M,
        cacheReadPer1M,
        cacheWritePer1M,
        // Anthropic bills a write kept for an hour at twice the input rate (a 5-minute one at 1.25×).
        ...(modelId.startsWith('anthropic.') && cacheWritePer1M > 0 ? { cacheWrite1hPer1M: inputPer1M * 2 } : {}),
        ...(options.regionalPremium === undefined
          ? {}
          : { regionalPremium: options.regionalPremium, regionalPremiumSource: PREMIUM_READ }),
        ...(options.tiers === undefined ? {} : { tierMultipliers: options.tiers, tierSource: TIERS_READ }),
        ...(options.speech === undefined ? {} : { speech: options.speech }),
        source: read.source.replace(/\((on-demand|not verified)/, `(${region}, $1`),
        asOf: read.asOf,
      };
    },
  );
}

/** The default price table. Pass your own (negotiated rates, new regions) to StaticPricingCatalog. */
export const DEFAULT_PRICES: readonly ModelPrice[] = [
  ...rows('us-east-1', US_EAST_1),
  ...rows('us-west-2', US_EAST_1),
  ...rows('ap-northeast-1', AP_NORTHEAST_1),
];

/** Bedrock batch inference bills half of on-demand. */
export const BATCH_DISCOUNT_MULTIPLIER = 0.5;
