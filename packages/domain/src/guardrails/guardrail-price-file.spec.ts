import { describe, expect, it } from 'vitest';
import { NovaCostError } from '../errors/nova-cost.error';
import { parsePriceFile } from '../pricing/price-file';
import { mergeGuardrailPrices, parseGuardrailPrices } from './guardrail-price-file';
import type { GuardrailPrice } from './guardrail-price-table';
import { DEFAULT_GUARDRAIL_PRICES, guardrailPriceIn } from './guardrail-price-table';

const row = {
  region: 'us-east-1',
  contentPer1KUnits: 0.12,
  topicPer1KUnits: 0.12,
  sensitiveInformationPer1KUnits: 0.08,
  contextualGroundingPer1KUnits: 0.08,
  automatedReasoningPer1KUnits: 0.15,
  contentPerImage: 0.0006,
  source: 'enterprise agreement',
  asOf: '2026-11-01',
};

describe(parseGuardrailPrices, () => {
  it("reads a price file's guardrailPrices; a file without them prices no guardrail", () => {
    expect(parseGuardrailPrices({ version: 1, prices: [], guardrailPrices: [row] }, 'f')).toEqual([row]);
    expect(parseGuardrailPrices({ version: 1, prices: [{}] }, 'f')).toEqual([]);
    expect(parseGuardrailPrices([{ modelId: 'x' }], 'f')).toEqual([]);
  });

  it("keeps the default table's rates of the region for the rates a row leaves out (0 in a region it does not price)", () => {
    const [east, south] = parseGuardrailPrices(
      {
        guardrailPrices: [
          { region: 'us-east-1', contentPer1KUnits: 0.05, source: 's', asOf: '2026-11-01' },
          { region: 'sa-east-1', topicPer1KUnits: 0.2, source: 's', asOf: '2026-11-01' },
        ],
      },
      'f',
      DEFAULT_GUARDRAIL_PRICES,
    );
    expect(east).toMatchObject({ contentPer1KUnits: 0.05, topicPer1KUnits: 0.15, sensitiveInformationPer1KUnits: 0.1 });
    expect(south).toMatchObject({ contentPer1KUnits: 0, topicPer1KUnits: 0.2, contentPerImage: 0 });
  });

  it.each([
    [{ guardrailPrices: {} }, /guardrailPrices must be an array/],
    [{ guardrailPrices: [{ ...row, region: 'virginia' }] }, /guardrailPrices\[0\]\.region must be a region/],
    [
      { guardrailPrices: [{ ...row, topicPer1KUnits: -1 }] },
      /guardrailPrices\[0\]\.topicPer1KUnits must be a number >= 0/,
    ],
    [
      { guardrailPrices: [{ ...row, contentPerImage: '0.1' }] },
      /contentPerImage must be a number >= 0 \(USD per image\)/,
    ],
    [
      { guardrailPrices: [{ ...row, wordPer1KUnits: 0.1 }] },
      /guardrailPrices\[0\]\.wordPer1KUnits is not a guardrail rate/,
    ],
    [{ guardrailPrices: [{ ...row, source: '' }] }, /source must say where the price was read/],
    [{ guardrailPrices: [{ ...row, asOf: 'today' }] }, /asOf must be the day it was read/],
    [{ guardrailPrices: [row, row] }, /guardrailPrices\[1\] prices guardrails in us-east-1 a second time/],
  ])('refuses %j, naming the row and field', (doc, message) => {
    const error = (() => {
      try {
        return parseGuardrailPrices(doc, 'NOVA_COST_PRICES (p.json)');
      } catch (e) {
        return e;
      }
    })();
    expect(NovaCostError.is(error, 'configuration')).toBe(true);
    expect((error as Error).message).toMatch(/^NOVA_COST_PRICES \(p\.json\): /);
    expect((error as Error).message).toMatch(message);
  });

  it('lets a price file hold guardrail prices only', () => {
    expect(parsePriceFile({ version: 1, guardrailPrices: [row] }, 'f')).toEqual([]);
  });
});

describe(mergeGuardrailPrices, () => {
  it("puts a file's row in place of the default of its region and adds the regions the defaults lack", () => {
    const added: GuardrailPrice = { ...row, region: 'eu-central-2' };
    const merged = mergeGuardrailPrices(DEFAULT_GUARDRAIL_PRICES, [row, added]);
    expect(guardrailPriceIn(merged, 'us-east-1')).toEqual(row);
    expect(guardrailPriceIn(merged, 'eu-central-2')).toEqual(added);
    expect(guardrailPriceIn(merged, 'us-west-2')).toEqual(guardrailPriceIn(DEFAULT_GUARDRAIL_PRICES, 'us-west-2'));
    expect(merged).toHaveLength(DEFAULT_GUARDRAIL_PRICES.length + 1);
  });
});
