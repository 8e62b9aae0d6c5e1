import { describe, expect, it } from 'vitest';
import { mergePrices, parsePriceFile, pricesLost } from './price-file';
import type { ModelPrice } from './price-table';

const row = (over: Partial<ModelPrice> = {}): ModelPrice => ({
  modelId: 'amazon.nova-lite-v1:0',
  region: 'eu-west-1',
  inputPer1M: 0.07,
  outputPer1M: 0.28,
  cacheReadPer1M: 0.0175,
  cacheWritePer1M: 0.07,
  source: 'contract 2026',
  asOf: '2026-10-01',
  ...over,
});

describe(parsePriceFile, () => {
  it('reads a price file, {"prices"} or a bare array, cache rates defaulting to 0', () => {
    const { cacheReadPer1M: _r, cacheWritePer1M: _w, ...noCache } = row();
    expect(
      parsePriceFile({ version: 1, generatedAt: '2026-11-29T00:00:00Z', prices: [row()] }, 'NOVA_COST_PRICES'),
    ).toEqual([row()]);
    expect(parsePriceFile({ prices: [row()] }, 'f')).toEqual([row()]);
    expect(parsePriceFile([noCache], 'f')).toEqual([row({ cacheReadPer1M: 0, cacheWritePer1M: 0 })]);
    const sonic = row({ modelId: 'amazon.nova-sonic-v1:0', speech: { inputPer1M: 3.4, outputPer1M: 13.6 } });
    expect(parsePriceFile([sonic], 'f')).toEqual([sonic]);
  });

  it.each<[string, unknown, RegExp]>([
    ['another version', { version: 2, prices: [row()] }, /version must be 1/],
    ['no rows', { prices: [] }, /prices must be a non-empty array/],
    ['a negative rate', [row({ inputPer1M: -1 })], /prices\[0\]\.inputPer1M must be a number >= 0/],
    ['a rate given as text', [{ ...row(), outputPer1M: '0.28' }], /prices\[0\]\.outputPer1M/],
    ['a row without a source', [row({ source: '' })], /prices\[0\]\.source must say where/],
    ['a row without a day', [row({ asOf: 'yesterday' })], /prices\[0\]\.asOf must be the day/],
    ['a path trick for a model id', [row({ modelId: '../etc' })], /prices\[0\]\.modelId/],
    [
      'a model priced twice in a region',
      [row(), row()],
      /prices\[1\] prices amazon\.nova-lite-v1:0 in eu-west-1 a second time/,
    ],
    [
      'a regional premium without the day it was read',
      [row({ regionalPremium: 1.1, regionalPremiumSource: { source: 'aws docs', asOf: 'lately' } })],
      /prices\[0\]\.regionalPremiumSource must be \{source, asOf\}: where and the day \(YYYY-MM-DD\) the regional premium was read/,
    ],
    ['an unknown tier multiplier shape', [row({ tierMultipliers: { priority: -1 } })], /tierMultipliers\.priority/],
    [
      'speech rates without an output rate',
      [{ ...row(), speech: { inputPer1M: 3.4 } }],
      /prices\[0\]\.speech must be \{inputPer1M, outputPer1M\}/,
    ],
  ])('refuses %s, naming where', (_name, doc, message) => {
    expect(() => parsePriceFile(doc, 'NOVA_COST_PRICES')).toThrow(
      expect.objectContaining({ kind: 'configuration', message: expect.stringMatching(message) }),
    );
  });
});

describe(mergePrices, () => {
  it('replaces rows of the same model and region and adds the others', () => {
    const base = [row({ region: 'us-east-1' }), row()];
    const merged = mergePrices(base, [row({ inputPer1M: 1 }), row({ modelId: 'amazon.nova-pro-v1:0' })]);
    expect(merged).toEqual([
      row({ region: 'us-east-1' }),
      row({ inputPer1M: 1 }),
      row({ modelId: 'amazon.nova-pro-v1:0' }),
    ]);
  });
});

describe(pricesLost, () => {
  it('names the models no longer priced and the rates that fell to 0', () => {
    const previous = [row(), row({ modelId: 'amazon.nova-pro-v1:0' })];
    expect(pricesLost(previous, [row({ outputPer1M: 0 })])).toEqual([
      'amazon.nova-lite-v1:0 in eu-west-1: outputPer1M went from 0.28 to 0',
      'amazon.nova-pro-v1:0 in eu-west-1: no longer priced',
    ]);
  });

  it('finds nothing lost when every row and rate is still there, new ones aside', () => {
    expect(pricesLost([row()], [row({ inputPer1M: 0.08 }), row({ region: 'us-east-1' })])).toEqual([]);
  });
});
