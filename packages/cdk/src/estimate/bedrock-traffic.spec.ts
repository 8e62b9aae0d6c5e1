import { describe, expect, it } from 'vitest';
import { formatEstimate } from './format-estimate';
import { estimateMonthlyCost } from './monthly-cost-estimate';
import type { TrafficProfile } from './traffic-profile';

const DAYS = 730 / 24;
const EMPTY = { Resources: {} };

/** 10,000 requests a day: three quarters to Nova Lite (1,000 in / 200 out), a quarter to Nova Pro (2,000 in / 500 out). */
const TRAFFIC: TrafficProfile = {
  requestsPerDay: 10_000,
  models: [
    { modelId: 'amazon.nova-lite-v1:0', share: 0.75, inputTokens: 1000, outputTokens: 200 },
    { modelId: 'amazon.nova-pro-v1:0', share: 0.25, inputTokens: 2000, outputTokens: 500 },
  ],
};
const LEVERS: TrafficProfile = {
  ...TRAFFIC,
  levers: {
    cacheHitRate: 0.2,
    promptCacheReadShare: 0.5,
    batchShare: 0.1,
    routes: [{ from: 'amazon.nova-pro-v1:0', to: 'amazon.nova-lite-v1:0', share: 0.4 }],
  },
};

describe('the Bedrock traffic lines', () => {
  describe('having no levers in the profile', () => {
    it('prices each model on demand from the domain price table, with the same figure without levers', () => {
      const estimate = estimateMonthlyCost(EMPTY, { region: 'us-east-1', traffic: TRAFFIC });
      // Nova Lite $0.06 in / $0.24 out per 1M: 1000 × 0.06 + 200 × 0.24 = 108 µ$ a request, 7,500 requests a day.
      const lite = 7500 * DAYS * 108e-6; // 24.6375
      // Nova Pro $0.80 / $3.20: 2000 × 0.8 + 500 × 3.2 = 3200 µ$ a request, 2,500 a day.
      const pro = 2500 * DAYS * 3200e-6; // 243.3333
      expect(estimate.lines).toEqual([
        expect.objectContaining({
          category: 'bedrock',
          basis: 'traffic',
          quantity: expect.closeTo(7500 * DAYS, 6),
          monthlyUsd: expect.closeTo(lite, 9),
          withoutLeversUsd: expect.closeTo(lite, 9),
        }),
        expect.objectContaining({
          category: 'bedrock',
          basis: 'traffic',
          monthlyUsd: expect.closeTo(pro, 9),
          withoutLeversUsd: expect.closeTo(pro, 9),
        }),
      ]);
      expect(estimate.lines[0]!.item).toBe(
        'Bedrock amazon.nova-lite-v1:0 (1000 in / 200 out tokens a request, no levers given)',
      );
      expect(estimate.byCategory.bedrock).toBeCloseTo(267.9708, 4);
      expect(estimate).toMatchObject({ floorUsd: 0, trafficUsd: expect.closeTo(lite + pro, 9) });
    });
  });

  describe('having the cache, prompt cache, batch and routing levers', () => {
    it('prices what still reaches Bedrock, on the model it is routed to, against the same requests without levers', () => {
      const estimate = estimateMonthlyCost(EMPTY, { region: 'us-east-1', traffic: LEVERS });
      // 20% are cache hits. Half the input tokens are prompt-cache reads (Lite $0.015, Pro $0.20 per 1M).
      const liteCall = (500 * 0.06 + 500 * 0.015 + 200 * 0.24) * 1e-6; // 85.5 µ$
      const lite = 7500 * DAYS * 0.8 * liteCall; // 15.6037
      // Of Pro's calls, 40% are routed to Lite, which prices them with Pro's token shape on Lite's rates.
      const proOnPro = (1000 * 0.8 + 1000 * 0.2 + 500 * 3.2) * 1e-6; // 2600 µ$
      const proOnLite = (1000 * 0.06 + 1000 * 0.015 + 500 * 0.24) * 1e-6; // 195 µ$
      const pro = 2500 * DAYS * 0.8 * (0.6 * proOnPro + 0.4 * proOnLite); // 94.9 + 4.745
      // 10% of the calls reaching Bedrock go as batch inference at half price: its own line takes 5% off.
      const discount = 0.1 * 0.5 * (lite + pro);
      expect(estimate.lines.map((l) => l.monthlyUsd)).toEqual([
        expect.closeTo(lite, 9),
        expect.closeTo(pro, 9),
        expect.closeTo(-discount, 9),
      ]);
      expect(estimate.lines[2]).toMatchObject({
        category: 'bedrock',
        basis: 'traffic',
        item: 'Bedrock batch inference discount (async API: 10% of the calls reaching Bedrock, at the batch price)',
        quantity: expect.closeTo(10_000 * DAYS * 0.8 * 0.1, 6),
      });
      expect(estimate.lines[2]!.withoutLeversUsd).toBeUndefined();
      expect(estimate.bedrock).toEqual({
        withLeversUsd: expect.closeTo(109.4863, 4),
        withoutLeversUsd: expect.closeTo(267.9708, 4),
      });
      expect(estimate.byCategory.bedrock).toBeCloseTo(109.4863, 4);
      const report = formatEstimate(estimate);
      expect(report).toContain(
        `[bedrock traffic] Bedrock amazon.nova-pro-v1:0 (2000 in / 500 out tokens a request, with nova-cost levers): 76041.7 requests × 0.0013104 = $${pro.toFixed(2)} (without nova-cost levers $243.33)`,
      );
      expect(report).toContain(`at the batch price): 24333.3 requests × `);
      expect(report).toContain(` = -$${discount.toFixed(2)}`);
      expect(report).toMatch(/bedrock without nova-cost levers: \$267\.97 \(the levers save \$158\.48\)/);
    });

    it('prices Tokyo requests at Tokyo rates', () => {
      const estimate = estimateMonthlyCost(EMPTY, { region: 'ap-northeast-1', traffic: TRAFFIC });
      // Tokyo Nova Lite $0.079 / $0.315 per 1M.
      expect(estimate.lines[0]!.monthlyUsd).toBeCloseTo(7500 * DAYS * (1000 * 0.079 + 200 * 0.315) * 1e-6, 9);
    });
  });

  describe('misuse', () => {
    it('notes a model the price table does not know instead of pricing it at 0 or failing the estimate', () => {
      const estimate = estimateMonthlyCost(EMPTY, {
        region: 'us-east-1',
        traffic: {
          requestsPerDay: 100,
          models: [{ modelId: 'acme.unknown-v1', share: 1, inputTokens: 10, outputTokens: 10 }],
        },
      });
      expect(estimate.lines).toEqual([]);
      expect(estimate.notes).toEqual([
        expect.stringMatching(/^Bedrock acme\.unknown-v1: not priced \(no price for model acme\.unknown-v1/),
      ]);
    });
  });
});
