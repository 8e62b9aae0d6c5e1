import { describe, expect, it } from 'vitest';
import { StaticPricingCatalog } from '../pricing/static-pricing-catalog';
import { allowedResidency, cheaperGlobalProfile } from './fallback-chain';

const SONNET_45 = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
const pricing = new StaticPricingCatalog();
const call = (modelId: string, tenantId = 'acme') => ({ tenantId, modelId, operation: 'converse' as const });

describe('allowedResidency', () => {
  it('is the region when no rule fits', () => {
    expect(allowedResidency(call(SONNET_45), SONNET_45, 'interactive', [])).toBe('region');
  });

  it('is what the first fitting rule allows', () => {
    const rules = [
      { match: { tenants: ['eu-bank'] }, dataResidency: 'geo' as const },
      { dataResidency: 'global' as const },
    ];
    expect(allowedResidency(call(SONNET_45, 'eu-bank'), SONNET_45, 'interactive', rules)).toBe('geo');
    expect(allowedResidency(call(SONNET_45), SONNET_45, 'interactive', rules)).toBe('global');
  });

  it("widens to the profile the caller addressed itself, never narrows a rule's", () => {
    expect(allowedResidency(call(`us.${SONNET_45}`), SONNET_45, 'interactive', [])).toBe('geo');
    expect(allowedResidency(call(`global.${SONNET_45}`), SONNET_45, 'interactive', [])).toBe('global');
    const geo = [{ dataResidency: 'geo' as const }];
    expect(allowedResidency(call(SONNET_45), SONNET_45, 'interactive', geo)).toBe('geo');
  });
});

describe('cheaperGlobalProfile', () => {
  it('sends an in-region or geo Claude 4.5 call through its global profile, 10% cheaper', () => {
    expect(cheaperGlobalProfile(SONNET_45, 'global', 'us-east-1', pricing)).toBe(`global.${SONNET_45}`);
    expect(cheaperGlobalProfile(`us.${SONNET_45}`, 'global', 'us-east-1', pricing)).toBe(`global.${SONNET_45}`);
    const here = pricing.price({ modelId: SONNET_45, region: 'us-east-1' });
    const there = pricing.price({ modelId: `global.${SONNET_45}`, region: 'us-east-1' });
    expect(there.inputPer1M / here.inputPer1M).toBeCloseTo(1 / 1.1, 9);
  });

  it('keeps the call where it is when residency does not allow global', () => {
    expect(cheaperGlobalProfile(SONNET_45, 'geo', 'us-east-1', pricing)).toBeUndefined();
    expect(cheaperGlobalProfile(SONNET_45, 'region', 'us-east-1', pricing)).toBeUndefined();
  });

  it('keeps a model without a global profile, or whose global profile costs the same, as addressed', () => {
    expect(cheaperGlobalProfile('amazon.nova-pro-v1:0', 'global', 'us-east-1', pricing)).toBeUndefined();
    // Nova 2 Lite has a global profile, priced as in-region: nothing to save.
    expect(cheaperGlobalProfile('amazon.nova-2-lite-v1:0', 'global', 'us-east-1', pricing)).toBeUndefined();
    expect(cheaperGlobalProfile(`global.${SONNET_45}`, 'global', 'us-east-1', pricing)).toBeUndefined();
  });

  it('claims nothing for a model without a price in the region', () => {
    expect(cheaperGlobalProfile(SONNET_45, 'global', 'eu-west-1', pricing)).toBeUndefined();
  });
});
