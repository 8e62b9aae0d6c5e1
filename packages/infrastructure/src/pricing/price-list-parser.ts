import type { ModelPrice } from '@nova-cost/domain';
import { NovaCostError } from '@nova-cost/domain';

/**
 * The Price List API names Bedrock models by display name (its `model` attribute), not by model id. Models it does
 * not list (Anthropic's are sold through AWS Marketplace) keep the rows they had.
 */
export const PRICE_LIST_MODEL_IDS: Readonly<Record<string, string>> = {
  'Nova Micro': 'amazon.nova-micro-v1:0',
  'Nova Lite': 'amazon.nova-lite-v1:0',
  'Nova Pro': 'amazon.nova-pro-v1:0',
  'Nova Premier': 'amazon.nova-premier-v1:0',
  'Nova 2.0 Lite': 'amazon.nova-2-lite-v1:0',
  'Nova 2 Lite': 'amazon.nova-2-lite-v1:0',
  'Nova Sonic': 'amazon.nova-sonic-v1:0',
  'Nova 2.0 Sonic': 'amazon.nova-2-sonic-v1:0',
  'Nova 2 Sonic': 'amazon.nova-2-sonic-v1:0',
  'Nova Multimodal Embeddings': 'amazon.nova-2-multimodal-embeddings-v1:0',
  'Titan Embeddings G1 - Text': 'amazon.titan-embed-text-v1',
  'Titan Text Embeddings V2': 'amazon.titan-embed-text-v2:0',
  'Embed 3 English': 'cohere.embed-english-v3',
  'Embed 3 Multilingual': 'cohere.embed-multilingual-v3',
  'Embed 4': 'cohere.embed-v4:0',
  'Llama 3.1 8B': 'meta.llama3-1-8b-instruct-v1:0',
  'Llama 3.1 70B': 'meta.llama3-1-70b-instruct-v1:0',
  'Llama 3.3 70B': 'meta.llama3-3-70b-instruct-v1:0',
  'Llama 4 Scout 17B': 'meta.llama4-scout-17b-instruct-v1:0',
  'Llama 4 Maverick 17B': 'meta.llama4-maverick-17b-instruct-v1:0',
  'Mistral 7B': 'mistral.mistral-7b-instruct-v0:2',
  'Mixtral 8x7B': 'mistral.mixtral-8x7b-instruct-v0:1',
  'Mistral Small': 'mistral.mistral-small-2402-v1:0',
  'Mistral Large': 'mistral.mistral-large-2402-v1:0',
};

type Rate = 'inputPer1M' | 'outputPer1M' | 'cacheReadPer1M' | 'cacheWritePer1M';

interface ProductRow {
  readonly modelId: string;
  readonly region: string;
  readonly rate: Rate;
  /** 'standard', or the service tier the row prices. */
  readonly tier: string;
  readonly per1M: number;
}

export interface ParsedPriceList {
  /** One row per model and region that has at least an input rate. */
  readonly prices: ModelPrice[];
  /** Display names of models the Price List priced that nova-cost has no id for (left out). */
  readonly unmappedModels: string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const PER_1M_BY_UNIT: Readonly<Record<string, number>> = {
  '1k tokens': 1_000,
  '1m tokens': 1,
  tokens: 1_000_000,
  token: 1_000_000,
};

/** Batch, provisioned, latency-optimized, custom-model and cross-region/global rows are not on-demand in-region prices. */
const NOT_ON_DEMAND = /batch|provisioned|latency-optimi[sz]ed|custom-model|cross-region|global|reserved/i;

function rateOf(text: string): Rate | undefined {
  if (/cache[ -]?read/.test(text)) return 'cacheReadPer1M';
  if (/cache[ -]?write/.test(text)) return 'cacheWritePer1M';
  if (/output/.test(text)) return 'outputPer1M';
  if (/input/.test(text)) return 'inputPer1M';
  return undefined;
}

function tierOf(attributes: Record<string, unknown>, usagetype: string): string {
  const declared = attributes['serviceTier'] ?? attributes['service_tier'];
  if (typeof declared === 'string' && declared !== '') return declared.toLowerCase();
  const m = /-(priority|flex)(-|$)/i.exec(usagetype);
  return m ? m[1]!.toLowerCase() : 'standard';
}

/** The priced rows of one product of a GetProducts answer (a JSON string or its parsed object). */
function rowsOf(item: unknown, unmapped: Set<string>): ProductRow[] {
  const product = typeof item === 'string' ? (JSON.parse(item) as unknown) : item;
  if (!isObject(product) || !isObject(product['product']) || !isObject(product['product']['attributes'])) return [];
  const attributes = product['product']['attributes'];
  const model = attributes['model'];
  const region = attributes['regionCode'];
  const usagetype = String(attributes['usagetype'] ?? '');
  const inferenceType = String(attributes['inferenceType'] ?? '').toLowerCase();
  const feature = String(attributes['feature'] ?? 'On-demand Inference');
  if (typeof model !== 'string' || typeof region !== 'string') return [];
  if (!/on-demand/i.test(feature) || NOT_ON_DEMAND.test(usagetype) || NOT_ON_DEMAND.test(inferenceType)) return [];
  const rate = rateOf(`${inferenceType} ${usagetype.toLowerCase()}`);
  if (!rate) return [];
  const modelId = PRICE_LIST_MODEL_IDS[model];
  if (!modelId) {
    unmapped.add(model);
    return [];
  }
  const rows: ProductRow[] = [];
  const terms =
    isObject(product['terms']) && isObject(product['terms']['OnDemand']) ? product['terms']['OnDemand'] : {};
  for (const term of Object.values(terms)) {
    const dimensions = isObject(term) && isObject(term['priceDimensions']) ? term['priceDimensions'] : {};
    for (const dimension of Object.values(dimensions)) {
      if (!isObject(dimension) || !isObject(dimension['pricePerUnit'])) continue;
      const usd = Number(dimension['pricePerUnit']['USD']);
      const scale = PER_1M_BY_UNIT[String(dimension['unit'] ?? '').toLowerCase()];
      if (!Number.isFinite(usd) || usd < 0 || scale === undefined) continue;
      rows.push({
        modelId,
        region,
        rate,
        tier: tierOf(attributes, usagetype),
        per1M: Math.round(usd * scale * 1e9) / 1e9,
      });
    }
  }
  return rows;
}

/**
 * Turns the products of GetProducts (service code AmazonBedrock) into price rows: per model id and region, the
 * standard on-demand input, output, cache read and cache write rates per 1M tokens, and the multiplier of each
 * service tier priced beside them. A model without an input rate is left out; a Nova cache write without a row of
 * its own costs what input costs (Nova charges no premium for it).
 */
export function parsePriceList(products: readonly unknown[], read: { asOf: string; source: string }): ParsedPriceList {
  const unmapped = new Set<string>();
  const grouped = new Map<string, ProductRow[]>();
  for (const item of products) {
    let rows: ProductRow[];
    try {
      rows = rowsOf(item, unmapped);
    } catch (error) {
      throw new NovaCostError('upstream-unavailable', 'the Price List API answered a product that is not JSON', {
        cause: error,
      });
    }
    for (const row of rows) {
      const key = `${row.region}|${row.modelId}`;
      grouped.set(key, [...(grouped.get(key) ?? []), row]);
    }
  }
  const prices: ModelPrice[] = [];
  for (const [key, rows] of [...grouped.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const [region, modelId] = key.split('|') as [string, string];
    const standard = (rate: Rate) => rows.find((r) => r.tier === 'standard' && r.rate === rate)?.per1M;
    const input = standard('inputPer1M');
    if (input === undefined) continue;
    const tiers: Record<string, number> = {};
    for (const r of rows)
      if (r.tier !== 'standard' && r.rate === 'inputPer1M' && input > 0)
        tiers[r.tier] = Math.round((r.per1M / input) * 1e6) / 1e6;
    prices.push({
      modelId,
      region,
      inputPer1M: input,
      outputPer1M: standard('outputPer1M') ?? 0,
      cacheReadPer1M: standard('cacheReadPer1M') ?? 0,
      cacheWritePer1M: standard('cacheWritePer1M') ?? (modelId.startsWith('amazon.nova') ? input : 0),
      ...(Object.keys(tiers).length > 0 ? { tierMultipliers: tiers } : {}),
      source: `${read.source} (${region})`,
      asOf: read.asOf,
    });
  }
  return { prices, unmappedModels: [...unmapped].sort() };
}
