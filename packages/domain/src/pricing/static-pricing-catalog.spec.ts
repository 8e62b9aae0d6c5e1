import { describe, expect, it } from 'vitest';
import { NovaCostError } from '../errors/nova-cost.error';
import type { BillingMode, TokenUsage } from '../invocation/invocation.types';
import { MODELS } from '../models/model-catalog';
import { DEFAULT_PRICES } from './price-table';
import { StaticPricingCatalog } from './static-pricing-catalog';

const usage = (
  inputTokens: number,
  outputTokens: number,
  cacheReadInputTokens = 0,
  cacheWriteInputTokens = 0,
): TokenUsage => ({
  inputTokens,
  outputTokens,
  cacheReadInputTokens,
  cacheWriteInputTokens,
});

interface Case {
  readonly name: string;
  readonly modelId: string;
  readonly region: string;
  readonly usage: TokenUsage;
  readonly billing?: BillingMode;
  /** Hand-computed: Σ tokens × USD-per-1M ÷ 1,000,000. */
  readonly usd: number;
}

// Each expectation is worked out by hand from the price table; the arithmetic is in the name.
const cases: Case[] = [
  {
    name: 'Nova Micro 1M in × 0.035',
    modelId: 'amazon.nova-micro-v1:0',
    region: 'us-east-1',
    usage: usage(1_000_000, 0),
    usd: 0.035,
  },
  {
    name: 'Nova Micro 1000×0.035 + 500×0.14',
    modelId: 'amazon.nova-micro-v1:0',
    region: 'us-east-1',
    usage: usage(1000, 500),
    usd: 0.000105,
  },
  {
    name: 'Nova Lite 10000×0.06 + 2000×0.24 + read 4000×0.015',
    modelId: 'amazon.nova-lite-v1:0',
    region: 'us-east-1',
    usage: usage(10_000, 2000, 4000),
    usd: 0.00114,
  },
  {
    name: 'Nova Pro 2000×0.8 + 1000×3.2',
    modelId: 'amazon.nova-pro-v1:0',
    region: 'us-east-1',
    usage: usage(2000, 1000),
    usd: 0.0048,
  },
  {
    name: 'Nova Premier 1000×2.5 + 1000×12.5',
    modelId: 'amazon.nova-premier-v1:0',
    region: 'us-east-1',
    usage: usage(1000, 1000),
    usd: 0.015,
  },
  {
    name: 'Claude 3 Haiku 100000×0.25 + 10000×1.25',
    modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
    region: 'us-east-1',
    usage: usage(100_000, 10_000),
    usd: 0.0375,
  },
  {
    name: 'Claude 3.5 Haiku 1000×0.8 + 500×4 + read 10000×0.08 + write 2000×1',
    modelId: 'anthropic.claude-3-5-haiku-20241022-v1:0',
    region: 'us-east-1',
    usage: usage(1000, 500, 10_000, 2000),
    usd: 0.0056,
  },
  {
    name: 'Claude 3.5 Sonnet 1M×3 + 1M×15',
    modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
    region: 'us-east-1',
    usage: usage(1_000_000, 1_000_000),
    usd: 18,
  },
  {
    name: 'Claude 3.7 Sonnet 500×3 + 200×15 + read 20000×0.3',
    modelId: 'anthropic.claude-3-7-sonnet-20250219-v1:0',
    region: 'us-east-1',
    usage: usage(500, 200, 20_000),
    usd: 0.0105,
  },
  {
    name: 'Claude Sonnet 4 100×3 + 100×15 + write 10000×3.75',
    modelId: 'anthropic.claude-sonnet-4-20250514-v1:0',
    region: 'us-east-1',
    usage: usage(100, 100, 0, 10_000),
    usd: 0.0393,
  },
  {
    name: 'Sonnet 4.5 global profile 1000×3 + 1000×15',
    modelId: 'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
    region: 'us-east-1',
    usage: usage(1000, 1000),
    usd: 0.018,
  },
  {
    name: 'Sonnet 4.5 geo profile (1000×3 + 1000×15) × 1.1',
    modelId: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
    region: 'us-east-1',
    usage: usage(1000, 1000),
    usd: 0.0198,
  },
  {
    name: 'Sonnet 4.5 in-region (1000×3 + 1000×15) × 1.1',
    modelId: 'anthropic.claude-sonnet-4-5-20250929-v1:0',
    region: 'us-east-1',
    usage: usage(1000, 1000),
    usd: 0.0198,
  },
  {
    name: 'Haiku 4.5 global 2000×1 + 1000×5 + read 5000×0.1 + write 1000×1.25',
    modelId: 'global.anthropic.claude-haiku-4-5-20251001-v1:0',
    region: 'us-east-1',
    usage: usage(2000, 1000, 5000, 1000),
    usd: 0.00875,
  },
  {
    name: 'Haiku 4.5 jp geo profile in Tokyo 8750 × 1.1',
    modelId: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
    region: 'ap-northeast-1',
    usage: usage(2000, 1000, 5000, 1000),
    usd: 0.009625,
  },
  {
    name: 'Nova Pro batch (2000×0.8 + 1000×3.2) × 0.5',
    modelId: 'amazon.nova-pro-v1:0',
    region: 'us-east-1',
    usage: usage(2000, 1000),
    billing: 'batch',
    usd: 0.0024,
  },
  {
    name: 'Claude 3 Haiku batch (1M×0.25 + 1M×1.25) × 0.5',
    modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
    region: 'us-east-1',
    usage: usage(1_000_000, 1_000_000),
    billing: 'batch',
    usd: 0.75,
  },
  {
    name: 'Claude 3.5 Haiku batch with cache read and write 5600 × 0.5',
    modelId: 'anthropic.claude-3-5-haiku-20241022-v1:0',
    region: 'us-east-1',
    usage: usage(1000, 500, 10_000, 2000),
    billing: 'batch',
    usd: 0.0028,
  },
  {
    name: 'Titan embeddings v2 10000×0.02',
    modelId: 'amazon.titan-embed-text-v2:0',
    region: 'us-east-1',
    usage: usage(10_000, 0),
    usd: 0.0002,
  },
  {
    name: 'Nova multimodal embeddings 1000×0.135',
    modelId: 'amazon.nova-2-multimodal-embeddings-v1:0',
    region: 'us-east-1',
    usage: usage(1000, 0),
    usd: 0.000135,
  },
  {
    name: 'Cohere embed 1M×0.1',
    modelId: 'cohere.embed-english-v3',
    region: 'us-east-1',
    usage: usage(1_000_000, 0),
    usd: 0.1,
  },
  {
    name: 'Nova Sonic text tokens 1000×0.06 + 1000×0.24 (speech is priced apart: speechCostOf)',
    modelId: 'amazon.nova-sonic-v1:0',
    region: 'us-east-1',
    usage: usage(1000, 1000),
    usd: 0.0003,
  },
  {
    name: 'Nova Micro Tokyo 1000×0.046 + 1000×0.184',
    modelId: 'amazon.nova-micro-v1:0',
    region: 'ap-northeast-1',
    usage: usage(1000, 1000),
    usd: 0.00023,
  },
  {
    name: 'Nova Lite Tokyo 1000×0.079 + read 4000×0.01975',
    modelId: 'amazon.nova-lite-v1:0',
    region: 'ap-northeast-1',
    usage: usage(1000, 0, 4000),
    usd: 0.000158,
  },
  {
    name: 'Nova Pro by foundation-model ARN 1000×0.8 + 1000×3.2',
    modelId: 'arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0',
    region: 'us-east-1',
    usage: usage(1000, 1000),
    usd: 0.004,
  },
  {
    name: 'Claude Sonnet 4 Tokyo 1000×3 + 1000×15 + read 1000×0.3 + write 1000×3.75',
    modelId: 'apac.anthropic.claude-sonnet-4-20250514-v1:0',
    region: 'ap-northeast-1',
    usage: usage(1000, 1000, 1000, 1000),
    usd: 0.02205,
  },
  {
    name: 'Nova 2 Lite 1000×0.3 + 1000×2.5',
    modelId: 'amazon.nova-2-lite-v1:0',
    region: 'us-east-1',
    usage: usage(1000, 1000),
    usd: 0.0028,
  },
  {
    name: 'Titan embeddings v1 (LangChain default) 10000×0.1',
    modelId: 'amazon.titan-embed-text-v1',
    region: 'us-east-1',
    usage: usage(10_000, 0),
    usd: 0.001,
  },
  {
    name: 'Cohere embed v4 1M×0.12',
    modelId: 'cohere.embed-v4:0',
    region: 'us-east-1',
    usage: usage(1_000_000, 0),
    usd: 0.12,
  },
  {
    name: 'Opus 4.5 global 1000×5 + 1000×25',
    modelId: 'global.anthropic.claude-opus-4-5-20251101-v1:0',
    region: 'us-east-1',
    usage: usage(1000, 1000),
    usd: 0.03,
  },
  {
    name: 'Sonnet 5.5 us profile (1000×2 + 1000×10 + read 10000×0.1) × 1.1',
    modelId: 'us.anthropic.claude-sonnet-5-5',
    region: 'us-east-1',
    usage: usage(1000, 1000, 10_000),
    usd: 0.0143,
  },
  {
    name: 'Llama 3.3 70B us-west-2 1000×0.72 + 1000×0.72',
    modelId: 'us.meta.llama3-3-70b-instruct-v1:0',
    region: 'us-west-2',
    usage: usage(1000, 1000),
    usd: 0.00144,
  },
  {
    name: 'Mistral Large 1000×4 + 1000×12',
    modelId: 'mistral.mistral-large-2402-v1:0',
    region: 'us-east-1',
    usage: usage(1000, 1000),
    usd: 0.016,
  },
  { name: 'no tokens cost nothing', modelId: 'amazon.nova-lite-v1:0', region: 'us-east-1', usage: usage(0, 0), usd: 0 },
];

describe(StaticPricingCatalog, () => {
  const catalog = new StaticPricingCatalog();

  describe('.cost', () => {
    it.each(cases)('$name = $usd USD', ({ modelId, region, usage: u, billing, usd }) => {
      expect(catalog.cost({ modelId, region, usage: u, ...(billing ? { billing } : {}) })).toBeCloseTo(usd, 12);
    });

    describe('having a service tier', () => {
      it.each([
        ['priority', 0.0048 * 1.75],
        ['flex', 0.0048 * 0.5],
        ['reserved', 0.0048],
      ])('prices Nova Pro in the %s tier at %d USD (a tier without a known price as standard)', (serviceTier, usd) => {
        expect(
          catalog.cost({ modelId: 'amazon.nova-pro-v1:0', region: 'us-east-1', usage: usage(2000, 1000), serviceTier }),
        ).toBeCloseTo(usd, 12);
      });
    });

    describe('having a global inference profile priced below the in-region endpoint', () => {
      it('prices the in-region and geo ids 10% above the global one, saying where the premium was read', () => {
        const sonnet = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
        const global = catalog.price({ modelId: `global.${sonnet}`, region: 'us-east-1' });
        for (const modelId of [sonnet, `us.${sonnet}`]) {
          const here = catalog.price({ modelId, region: 'us-east-1' });
          expect(here.inputPer1M).toBeCloseTo(global.inputPer1M * 1.1, 12);
          expect(here.outputPer1M).toBeCloseTo(global.outputPer1M * 1.1, 12);
        }
        expect(global.regionalPremiumSource).toEqual({
          source: expect.stringContaining('global-cross-region-inference'),
          asOf: '2026-11-29',
        });
      });
    });

    describe('having cache writes kept for an hour', () => {
      it('bills them at the 1-hour write rate (Claude: twice input), the rest of the writes at 1.25x', () => {
        const sonnet = { modelId: 'global.anthropic.claude-sonnet-4-5-20250929-v1:0', region: 'us-east-1' };
        const writes = { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheWriteInputTokens: 1_000_000 };
        expect(catalog.cost({ ...sonnet, usage: writes })).toBeCloseTo(3.75, 9);
        expect(catalog.cost({ ...sonnet, usage: { ...writes, cacheWrite1hInputTokens: 1_000_000 } })).toBeCloseTo(6, 9);
        expect(catalog.cost({ ...sonnet, usage: { ...writes, cacheWrite1hInputTokens: 400_000 } })).toBeCloseTo(
          0.6 * 3.75 + 0.4 * 6,
          9,
        );
      });

      it('bills them at the plain write rate for a model without a 1-hour rate', () => {
        const usage1h = { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheWriteInputTokens: 1_000_000 };
        const nova = { modelId: 'amazon.nova-pro-v1:0', region: 'us-east-1' };
        expect(catalog.cost({ ...nova, usage: { ...usage1h, cacheWrite1hInputTokens: 1_000_000 } })).toBeCloseTo(
          catalog.cost({ ...nova, usage: usage1h }),
          12,
        );
      });
    });

    describe('having an unknown model', () => {
      it('throws unknown-price instead of pricing it at $0', () => {
        expect(() =>
          catalog.cost({ modelId: 'writer.palmyra-x5-v1:0', region: 'us-east-1', usage: usage(1, 1) }),
        ).toThrowError(/no price for model writer\.palmyra-x5-v1:0/);
      });
    });

    describe('having a known model in an unpriced region', () => {
      it('names the region in an unknown-price error', () => {
        let caught: unknown;
        try {
          catalog.cost({ modelId: 'amazon.nova-lite-v1:0', region: 'eu-west-1', usage: usage(1, 1) });
        } catch (err) {
          caught = err;
        }
        expect(NovaCostError.is(caught, 'unknown-price')).toBe(true);
        expect((caught as NovaCostError).message).toContain('in region eu-west-1');
      });
    });

    describe('having negative or non-finite token counts', () => {
      it.each([usage(-1, 0), usage(0, Number.NaN), usage(0, 0, Number.POSITIVE_INFINITY)])(
        'rejects %o as a validation error',
        (u) => {
          expect(() => catalog.cost({ modelId: 'amazon.nova-lite-v1:0', region: 'us-east-1', usage: u })).toThrowError(
            NovaCostError,
          );
        },
      );
    });
  });

  describe('.price', () => {
    it('records where and when every price was read, and says which could not be verified', () => {
      for (const price of DEFAULT_PRICES) {
        expect(price.source).toMatch(/^https:\/\/aws\.amazon\.com\/bedrock\/pricing/);
        expect(price.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      }
      expect(catalog.price({ modelId: 'amazon.nova-2-lite-v1:0', region: 'us-east-1' }).source).toMatch(
        /us-east-1, not verified/,
      );
    });

    it('prices every model of the catalog in us-east-1', () => {
      for (const model of MODELS)
        expect(() => catalog.price({ modelId: model.id, region: 'us-east-1' }), model.id).not.toThrow();
    });

    it('uses a price table passed in place of the defaults', () => {
      const custom = new StaticPricingCatalog([
        {
          modelId: 'amazon.nova-lite-v1:0',
          region: 'eu-west-1',
          inputPer1M: 1,
          outputPer1M: 2,
          cacheReadPer1M: 0,
          cacheWritePer1M: 0,
          source: 'contract',
          asOf: '2026-01-01',
        },
      ]);
      expect(
        custom.cost({ modelId: 'amazon.nova-lite-v1:0', region: 'eu-west-1', usage: usage(1_000_000, 1_000_000) }),
      ).toBe(3);
      expect(() =>
        custom.cost({ modelId: 'amazon.nova-lite-v1:0', region: 'us-east-1', usage: usage(1, 1) }),
      ).toThrowError(NovaCostError);
    });
  });
});
