import { describe, expect, it } from 'vitest';
import type { Operation } from '../invocation/invocation.types';
import { requestFeatures } from '../invocation/request-features';
import type { DataResidency } from '../models/inference-profiles';
import { StaticPricingCatalog } from '../pricing/static-pricing-catalog';
import { anyFallbackRule, fallbackChain } from './fallback-chain';
import type { FallbackRule } from './fallback.rules';

const SONNET_45 = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
const HAIKU_45 = 'anthropic.claude-haiku-4-5-20251001-v1:0';
const OPUS_45 = 'anthropic.claude-opus-4-5-20251101-v1:0';
const NOVA_LITE = 'amazon.nova-lite-v1:0';
const NOVA_MICRO = 'amazon.nova-micro-v1:0';
const pricing = new StaticPricingCatalog();

const text = { messages: [{ role: 'user', content: [{ text: 'hello' }] }] };
const withImage = {
  messages: [{ role: 'user', content: [{ image: { format: 'png', source: { bytes: 'iVBORw0KGgo=' } } }] }],
};

function chain(
  modelId: string,
  rules: FallbackRule[],
  options: { residency?: DataResidency; operation?: Operation; body?: Record<string, unknown>; tenantId?: string } = {},
) {
  const operation = options.operation ?? 'converse';
  const request = { tenantId: options.tenantId ?? 'acme', modelId, operation, body: options.body ?? text };
  return fallbackChain(
    {
      request,
      askedModelId: modelId.replace(/^(global|us)\./, ''),
      lane: 'interactive',
      region: 'us-east-1',
      residency: options.residency ?? 'region',
      features: requestFeatures(request as never),
      defaultMaxOutputTokens: undefined,
    },
    rules,
    pricing,
  );
}

describe('fallbackChain', () => {
  it('is empty when no rule fits the call', () => {
    expect(chain(SONNET_45, [])).toEqual([]);
    expect(chain(SONNET_45, [{ match: { tenants: ['other'] }, to: [HAIKU_45] }])).toEqual([]);
  });

  it('tries the same model through its other profiles first, within the residency, widest first', () => {
    expect(chain(`global.${SONNET_45}`, [{}], { residency: 'global' })).toEqual([`us.${SONNET_45}`, SONNET_45]);
    expect(chain(SONNET_45, [{}], { residency: 'geo' })).toEqual([`us.${SONNET_45}`]);
    expect(chain(SONNET_45, [{}], { residency: 'region' })).toEqual([]);
    expect(chain(`global.${SONNET_45}`, [{ otherProfiles: false, to: [HAIKU_45] }], { residency: 'global' })).toEqual([
      HAIKU_45,
    ]);
  });

  it('then a cheaper model that can serve the call, never a pricier one', () => {
    expect(chain(SONNET_45, [{ to: [OPUS_45, HAIKU_45] }])).toEqual([HAIKU_45]);
    expect(chain(NOVA_LITE, [{ to: [NOVA_MICRO, SONNET_45] }])).toEqual([NOVA_MICRO]);
  });

  it('never a model lacking a capability the request needs', () => {
    expect(chain(NOVA_LITE, [{ to: [NOVA_MICRO] }], { body: withImage })).toEqual([]);
  });

  it('never a model that reads another InvokeModel body, nor one outside the residency', () => {
    const anthropic = { anthropic_version: 'bedrock-2023-05-31', max_tokens: 10, messages: text.messages };
    expect(chain(SONNET_45, [{ to: [NOVA_MICRO, HAIKU_45] }], { operation: 'invoke', body: anthropic })).toEqual([
      HAIKU_45,
    ]);
    expect(chain(SONNET_45, [{ to: [`global.${HAIKU_45}`, `us.${HAIKU_45}`] }], { residency: 'geo' })).toEqual([
      `us.${SONNET_45}`,
      `us.${HAIKU_45}`,
    ]);
  });

  it('has none for CountTokens, which calls no model', () => {
    expect(chain(SONNET_45, [{ to: [HAIKU_45] }], { operation: 'count-tokens' })).toEqual([]);
  });
});

describe('anyFallbackRule', () => {
  it('finds a rule for either lane (the worst case is held before the lane is known)', () => {
    const rules = [{ match: { lanes: ['deferrable' as const] }, to: [HAIKU_45] }];
    expect(anyFallbackRule({ tenantId: 'acme', operation: 'converse' }, SONNET_45, rules)).toBe(true);
    expect(anyFallbackRule({ tenantId: 'acme', operation: 'converse' }, SONNET_45, [])).toBe(false);
  });
});
