import { readFileSync } from 'node:fs';
import { DEFAULT_PRICES, pricesLost } from '@nova-cost/domain';
import { describe, expect, it } from 'vitest';
import { rebuildPrices } from './rebuild-prices';
import { parsePriceList } from './price-list-parser';

// A GetProducts answer for service code AmazonBedrock in the Price List's aws_v1 shape (product attributes,
// OnDemand terms and price dimensions as the API returns them; the products are a small, illustrative set).
const answer = JSON.parse(readFileSync(new URL('./price-list.get-products.json', import.meta.url), 'utf8')) as {
  PriceList: string[];
};
const READ = { asOf: '2026-11-29', source: 'AWS Price List Query API, GetProducts AmazonBedrock' };

describe(parsePriceList, () => {
  const { prices, unmappedModels } = parsePriceList(answer.PriceList, READ);
  const price = (modelId: string, region = 'us-east-1') =>
    prices.find((p) => p.modelId === modelId && p.region === region);

  it('reads standard on-demand rates per 1M tokens, per model id and region', () => {
    expect(price('amazon.nova-lite-v1:0')).toMatchObject({
      inputPer1M: 0.06,
      outputPer1M: 0.24,
      cacheReadPer1M: 0.015,
      source: `${READ.source} (us-east-1)`,
      asOf: '2026-11-29',
    });
    expect(price('meta.llama3-3-70b-instruct-v1:0')).toMatchObject({ inputPer1M: 0.72, outputPer1M: 0.72 });
    expect(price('amazon.titan-embed-text-v2:0')).toMatchObject({ inputPer1M: 0.02, outputPer1M: 0 });
    expect(price('amazon.nova-lite-v1:0', 'us-west-2')).toMatchObject({ inputPer1M: 0.06 });
  });

  it('leaves batch, latency-optimized, provisioned and cross-region rows out of the standard rates', () => {
    expect(price('amazon.nova-lite-v1:0')?.outputPer1M).toBe(0.24);
    expect(price('amazon.nova-2-lite-v1:0')).toMatchObject({ inputPer1M: 0.3, outputPer1M: 2.5 });
  });

  it('prices the service tiers it lists as multipliers of the standard rate', () => {
    expect(price('amazon.nova-lite-v1:0')?.tierMultipliers).toEqual({ priority: 1.75, flex: 0.5 });
  });

  it('costs a Nova cache write what input costs when no row of its own says otherwise', () => {
    expect(price('amazon.nova-lite-v1:0')?.cacheWritePer1M).toBe(0.06);
  });

  it('names the priced models it has no model id for instead of guessing one, and skips what is not priced per token', () => {
    expect(unmappedModels).toEqual(['Marengo Embed 3.0']);
    expect(prices.map((p) => p.modelId)).not.toContain(undefined);
  });

  it('refuses a product that is not JSON rather than skipping it silently', () => {
    expect(() => parsePriceList(['{"product":'], READ)).toThrow(/not JSON/);
  });
});

describe(rebuildPrices, () => {
  const previous = DEFAULT_PRICES.filter((p) => p.region === 'us-east-1');
  const { prices: fromPriceList } = parsePriceList(
    answer.PriceList.filter((p) => !p.includes('us-west-2')),
    READ,
  );

  it("keeps the rows the Price List does not list (Anthropic's), and loses nothing the previous table had", () => {
    const rebuilt = rebuildPrices(previous, fromPriceList, READ.source);
    expect(rebuilt.find((p) => p.modelId === 'anthropic.claude-haiku-4-5-20251001-v1:0')).toEqual(
      previous.find((p) => p.modelId === 'anthropic.claude-haiku-4-5-20251001-v1:0'),
    );
    expect(rebuilt.find((p) => p.modelId === 'amazon.nova-lite-v1:0')?.source).toMatch(/^AWS Price List Query API/);
    expect(pricesLost(previous, rebuilt)).toEqual([]);
  });

  it('finds what a rebuild lost: a model the Price List priced before and no longer does, a rate gone to 0', () => {
    const before = rebuildPrices(previous, fromPriceList, READ.source);
    const withoutLlama = fromPriceList
      .filter((p) => !p.modelId.startsWith('meta.'))
      .map((p) => (p.modelId === 'amazon.nova-2-lite-v1:0' ? { ...p, outputPer1M: 0 } : p));
    expect(pricesLost(before, rebuildPrices(before, withoutLlama, READ.source))).toEqual([
      'amazon.nova-2-lite-v1:0 in us-east-1: outputPer1M went from 2.5 to 0',
      'meta.llama3-3-70b-instruct-v1:0 in us-east-1: no longer priced',
    ]);
  });
});
