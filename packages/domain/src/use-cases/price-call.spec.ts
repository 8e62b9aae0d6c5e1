import { describe, expect, it } from 'vitest';
import { textTokens } from '../invocation/token-estimate';
import { StaticPricingCatalog } from '../pricing/static-pricing-catalog';
import type { PricedPlan } from './price-call';
import { priceCall } from './price-call';

// Through the global profile: $3 input, $0.30 cache read, $3.75 5-minute write per 1M tokens (no regional premium).
const SONNET = 'global.anthropic.claude-sonnet-4-5-20250929-v1:0';
const TEXT = 'alpha beta '.repeat(1000);
/** The estimate of TEXT (3,000 tokens), so the usage below is laid out over the same prompt the layout sees. */
const T = Math.round(textTokens(TEXT));

/** A call whose caller cached its system prompt (a cachePoint after it) and whose policy added a point after the question. */
const plan = (callerPoint: boolean): PricedPlan => ({
  call: {
    modelId: SONNET,
    region: 'us-east-1',
    tier: 'default',
    cachePoints: [{ section: 'messages', index: 0, ttl: '5m' }],
    requested: {
      modelId: SONNET,
      operation: 'converse',
      body: {
        system: callerPoint ? [{ text: TEXT }, { cachePoint: { type: 'default' } }] : [{ text: TEXT }],
        messages: [{ role: 'user', content: [{ text: TEXT }] }],
      },
    },
  },
});

describe('priceCall having the policy cache points', () => {
  // The prompt is T (system) + T (question) + 4 (turn markers) tokens: the caller's point caches the first T.
  // Bedrock read the system prompt and the first 1,000 tokens of the question, wrote the rest of the question but 10.
  const read = T + 1000;
  const write = T + 4 - 1000 - 10;
  const usage = { inputTokens: 10, outputTokens: 100, cacheReadInputTokens: read, cacheWriteInputTokens: write };
  const pricing = new StaticPricingCatalog();
  const promptCache = (p: PricedPlan) =>
    priceCall(pricing, p, { modelId: SONNET, usage, cache: 'bypass' }).savings.find(
      (s) => s.strategy === 'prompt-cache',
    )?.usd;

  it("credits the policy with what its points read and wrote past the caller's own point, not the caller's reads", () => {
    expect([T, read, write]).toEqual([3000, 4000, 1994]);
    // The caller's 3,000 read tokens are theirs; the policy's are 1,000 read ($2.70/1M saved each) and the 1,994
    // written ($0.75/1M dearer each): 2,700 - 1,495.5 = $1,204.5/1M.
    expect(promptCache(plan(true))).toBeCloseTo(0.0012045, 12);
  });

  it('credits the policy with every read and write when the caller placed no point of its own', () => {
    // 4,000 read, 1,994 written: 10,800 - 1,495.5 = $9,304.5/1M.
    expect(promptCache(plan(false))).toBeCloseTo(0.0093045, 12);
  });
});
