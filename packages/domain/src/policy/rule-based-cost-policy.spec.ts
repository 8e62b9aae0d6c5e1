import { describe, expect, it } from 'vitest';
import type { Clock } from '../clock.port';
import { NovaCostError } from '../errors/nova-cost.error';
import type { InvocationRequest } from '../invocation/invocation.types';
import type { JsonObject } from '../json';
import { InMemorySpendLedger } from '../ledger/in-memory-spend-ledger';
import { StaticPricingCatalog } from '../pricing/static-pricing-catalog';
import type { CostPolicyRules, TenantBudget } from './cost-policy.rules';
import { RuleBasedCostPolicy } from './rule-based-cost-policy';

const clock: Clock = { now: () => new Date('2026-11-28T10:00:00Z') };
const pricing = new StaticPricingCatalog();

const converse = (inferenceConfig: JsonObject = {}, extra: JsonObject = {}): JsonObject => ({
  messages: [{ role: 'user', content: [{ text: 'Summarise our refund policy in one line.' }] }],
  inferenceConfig,
  ...extra,
});

const request = (over: Partial<InvocationRequest> = {}): InvocationRequest => ({
  tenantId: 'acme',
  modelId: 'amazon.nova-pro-v1:0',
  operation: 'converse',
  body: converse({ temperature: 0, maxTokens: 200 }),
  ...over,
});

const policy = (rules: CostPolicyRules = {}, ledger = new InMemorySpendLedger()) =>
  new RuleBasedCostPolicy(rules, { pricing, ledger, clock });

describe(RuleBasedCostPolicy, () => {
  describe('.plan cacheability', () => {
    it('caches deterministic requests (temperature 0) for the default 3600 s', async () => {
      const plan = await policy().plan(request());
      expect(plan.call.cache).toEqual({ ttlSeconds: 3600 });
    });

    it('does not cache a request that leaves temperature to the model default', async () => {
      const plan = await policy().plan(request({ body: converse({ maxTokens: 10 }) }));
      expect(plan.call.cache).toBe('none');
    });

    it('caches embeddings whatever their parameters', async () => {
      const plan = await policy().plan(
        request({ modelId: 'amazon.titan-embed-text-v2:0', operation: 'invoke', body: { inputText: 'hello' } }),
      );
      expect(plan.call.cache).toEqual({ ttlSeconds: 3600 });
    });

    it('caches a non-deterministic request that opts in, unless opt-in is disabled', async () => {
      const optIn = request({ body: converse({ temperature: 0.7 }), hints: { cache: 'opt-in' } });
      expect((await policy().plan(optIn)).call.cache).toEqual({ ttlSeconds: 3600 });
      expect((await policy({ cache: { allowOptIn: false } }).plan(optIn)).call.cache).toBe('none');
    });

    it('never caches a request that opts out', async () => {
      expect((await policy().plan(request({ hints: { cache: 'opt-out' } }))).call.cache).toBe('none');
    });

    it('takes the TTL per model before the TTL per operation before the default', async () => {
      const rules: CostPolicyRules = {
        cache: {
          defaultTtlSeconds: 60,
          ttlSecondsByOperation: { converse: 120 },
          ttlSecondsByModel: { 'amazon.nova-pro-v1:0': 30 },
        },
      };
      expect((await policy(rules).plan(request())).call.cache).toEqual({ ttlSeconds: 30 });
      expect((await policy(rules).plan(request({ modelId: 'amazon.nova-lite-v1:0' }))).call.cache).toEqual({
        ttlSeconds: 120,
      });
      expect(
        (await policy(rules).plan(request({ modelId: 'amazon.nova-lite-v1:0', operation: 'invoke' }))).call.cache,
      ).toEqual({ ttlSeconds: 60 });
    });

    it('treats a TTL of 0 as not cacheable', async () => {
      expect(
        (await policy({ cache: { ttlSecondsByModel: { 'amazon.nova-pro-v1:0': 0 } } }).plan(request())).call.cache,
      ).toBe('none');
    });
  });

  describe('.plan routing', () => {
    const rules: CostPolicyRules = {
      routes: [
        {
          name: 'short-to-micro',
          from: ['amazon.nova-pro-v1:0'],
          to: 'amazon.nova-micro-v1:0',
          when: { maxInputTokens: 500, maxOutputTokens: 500 },
        },
        {
          name: 'sonnet-to-haiku',
          from: ['anthropic.claude-sonnet-4-20250514-v1:0'],
          to: 'anthropic.claude-3-haiku-20240307-v1:0',
        },
      ],
    };

    it('sends a short request to the cheaper model and remembers what was asked', async () => {
      const plan = await policy(rules).plan(request());
      expect(plan.call.modelId).toBe('amazon.nova-micro-v1:0');
      expect(plan.call.requested.modelId).toBe('amazon.nova-pro-v1:0');
      expect(plan.routedBy).toBe('short-to-micro');
    });

    it('keeps a long prompt on the requested model', async () => {
      const long = converse({ temperature: 0, maxTokens: 100 }, { system: [{ text: 'x'.repeat(4000) }] });
      expect((await policy(rules).plan(request({ body: long }))).call.modelId).toBe('amazon.nova-pro-v1:0');
    });

    it('does not route a request without an output cap when the rule bounds the output', async () => {
      expect((await policy(rules).plan(request({ body: converse({ temperature: 0 }) }))).routedBy).toBeUndefined();
    });

    it('never routes across a capability the request needs (images to Nova Micro)', async () => {
      const withImage = converse(
        { maxTokens: 50 },
        {
          messages: [
            {
              role: 'user',
              content: [{ text: 'what is this' }, { image: { format: 'png', source: { bytes: 'AA' } } }],
            },
          ],
        },
      );
      const plan = await policy({
        routes: [{ name: 'to-micro', from: ['amazon.nova-pro-v1:0'], to: 'amazon.nova-micro-v1:0' }],
      }).plan(request({ body: withImage }));
      expect(plan.call.modelId).toBe('amazon.nova-pro-v1:0');
    });

    it('never routes an InvokeModel body to a model family with another body format', async () => {
      const r: CostPolicyRules = {
        routes: [{ name: 'x', from: ['anthropic.claude-sonnet-4-20250514-v1:0'], to: 'amazon.nova-micro-v1:0' }],
      };
      const invoke = request({
        modelId: 'anthropic.claude-sonnet-4-20250514-v1:0',
        operation: 'invoke',
        body: { anthropic_version: 'bedrock-2023-05-31', max_tokens: 10, messages: [] },
      });
      expect((await policy(r).plan(invoke)).call.modelId).toBe('anthropic.claude-sonnet-4-20250514-v1:0');
      expect((await policy(rules).plan(invoke)).call.modelId).toBe('anthropic.claude-3-haiku-20240307-v1:0');
    });

    it('applies a soft-limit-only route once the tenant crosses its soft threshold', async () => {
      const r: CostPolicyRules = {
        routes: [
          {
            name: 'thrift',
            from: ['amazon.nova-pro-v1:0'],
            to: 'amazon.nova-lite-v1:0',
            when: { onlyOverSoftLimit: true },
          },
        ],
        budgets: { default: { dailyUsd: 1, softThreshold: 0.5 } },
      };
      const ledger = new InMemorySpendLedger();
      expect((await policy(r, ledger).plan(request())).routedBy).toBeUndefined();
      await ledger.record({
        at: clock.now(),
        tenantId: 'acme',
        modelId: 'amazon.nova-pro-v1:0',
        category: 'bedrock',
        costUsd: 0.6,
        savings: [],
      });
      const plan = await policy(r, ledger).plan(request());
      expect(plan).toMatchObject({ routedBy: 'thrift', budget: 'soft-limit' });
      expect(plan.call.lane).toBe('deferrable');
    });
  });

  describe('.plan inference profiles', () => {
    const SONNET = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
    const HAIKU = 'anthropic.claude-haiku-4-5-20251001-v1:0';
    const residency = (dataResidency: 'global' | 'geo' | 'region') => ({
      inferenceProfiles: [{ match: { tenants: ['acme'] }, dataResidency }],
    });

    it("sends the call through the model's global profile where the tenant's residency allows it", async () => {
      const plan = await policy(residency('global')).plan(request({ modelId: SONNET }));
      expect(plan.call).toMatchObject({ modelId: `global.${SONNET}`, profiledFrom: SONNET });
      const geo = await policy(residency('global')).plan(request({ modelId: `us.${SONNET}` }));
      expect(geo.call).toMatchObject({ modelId: `global.${SONNET}`, profiledFrom: `us.${SONNET}` });
    });

    it('keeps the call as addressed where residency does not allow global, or nothing is cheaper', async () => {
      for (const rules of [{}, residency('geo'), residency('region')]) {
        const plan = await policy(rules).plan(request({ modelId: SONNET }));
        expect(plan.call.modelId).toBe(SONNET);
        expect(plan.call.profiledFrom).toBeUndefined();
      }
      expect((await policy(residency('global')).plan(request())).call.modelId).toBe('amazon.nova-pro-v1:0');
    });

    it("sends a routed call through the route's model's global profile, pricing the route as addressed", async () => {
      const rules = { ...residency('global'), routes: [{ name: 'small', from: [SONNET], to: HAIKU }] };
      const plan = await policy(rules).plan(request({ modelId: SONNET }));
      expect(plan.call).toMatchObject({ modelId: `global.${HAIKU}`, profiledFrom: HAIKU });
      expect(plan.routedBy).toBe('small');
    });
  });

  describe('.plan fallbacks', () => {
    const SONNET = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
    const HAIKU = 'anthropic.claude-haiku-4-5-20251001-v1:0';

    it("writes the fallback chain of the call's first matching rule into the planned call", async () => {
      const rules: CostPolicyRules = {
        inferenceProfiles: [{ dataResidency: 'global' }],
        fallbacks: [{ match: { models: [SONNET] }, to: [HAIKU] }],
      };
      const plan = await policy(rules).plan(request({ modelId: SONNET }));
      expect(plan.call.fallbacks).toEqual([`us.${SONNET}`, SONNET, HAIKU]);
      expect((await policy(rules).plan(request())).call.fallbacks).toEqual([]);
    });

    it('holds the worst case at the dearest profile a fallback may reach', async () => {
      const rules: CostPolicyRules = { fallbacks: [{ to: [HAIKU] }] };
      const asked = request({ modelId: `global.${SONNET}`, body: converse({ maxTokens: 1000 }) });
      const withFallback = await policy(rules).plan(asked);
      const without = await policy().plan(asked);
      expect(withFallback.reservation.worstCaseUsd).toBeCloseTo(without.reservation.worstCaseUsd * 1.1, 12);
    });
  });

  describe('.plan of a CountTokens call', () => {
    const counting = request({ operation: 'count-tokens', body: { input: { converse: converse() } } });

    it('caches it, holds nothing against the budget, and never routes it (tokens are counted per model)', async () => {
      const routes = [{ name: 'cheap', from: ['amazon.nova-pro-v1:0'], to: 'amazon.nova-micro-v1:0' }];
      const plan = await policy({ routes, budgets: { default: { dailyUsd: 0.000001 } } }).plan(counting);
      expect(plan.call.cache).toEqual({ ttlSeconds: 3600 });
      expect(plan.call.modelId).toBe('amazon.nova-pro-v1:0');
      expect(plan.reservation.worstCaseUsd).toBe(0);
    });
  });

  describe('.plan lanes', () => {
    it('is interactive by default and follows the caller hint', async () => {
      expect((await policy().plan(request())).call.lane).toBe('interactive');
      expect((await policy().plan(request({ hints: { lane: 'deferrable' } }))).call.lane).toBe('deferrable');
    });
  });

  describe('.plan budgets', () => {
    it('rejects a call that would cross the daily hard limit, naming the limit', async () => {
      const ledger = new InMemorySpendLedger();
      await ledger.record({
        at: clock.now(),
        tenantId: 'acme',
        modelId: 'amazon.nova-pro-v1:0',
        category: 'bedrock',
        costUsd: 4.9999,
        savings: [],
      });
      const err = await policy({ budgets: { byTenant: { acme: { dailyUsd: 5 } } } }, ledger)
        .plan(request())
        .catch((e: unknown) => e);
      expect(NovaCostError.is(err, 'budget-exceeded')).toBe(true);
      expect((err as NovaCostError).message).toContain('daily budget of $5');
      expect((err as NovaCostError).details).toMatchObject({
        period: 'daily',
        limitUsd: 5,
        retryAfterSeconds: 14 * 3600,
        onExceeded: 'retry-later',
      });
    });

    it("carries the outcome the budget names for a refusal (onExceeded), else 'retry-later' daily and 'stop' monthly", async () => {
      const ledger = new InMemorySpendLedger();
      await ledger.record({
        at: clock.now(),
        tenantId: 'acme',
        modelId: 'm',
        category: 'bedrock',
        costUsd: 10,
        savings: [],
      });
      const refusal = (budget: TenantBudget) =>
        policy({ budgets: { default: budget } }, ledger)
          .plan(request())
          .catch((e: unknown) => (e as NovaCostError).details);
      expect(await refusal({ monthlyUsd: 1 })).toMatchObject({ period: 'monthly', onExceeded: 'stop' });
      expect(await refusal({ dailyUsd: 1, onExceeded: 'stop' })).toMatchObject({ period: 'daily', onExceeded: 'stop' });
      expect(await refusal({ monthlyUsd: 1, onExceeded: 'retry-later' })).toMatchObject({
        period: 'monthly',
        onExceeded: 'retry-later',
      });
    });

    it('counts spend from earlier days against the monthly limit only', async () => {
      const ledger = new InMemorySpendLedger();
      await ledger.record({
        at: new Date('2026-11-27T10:00:00Z'),
        tenantId: 'acme',
        modelId: 'm',
        category: 'bedrock',
        costUsd: 9,
        savings: [],
      });
      const rules: CostPolicyRules = { budgets: { default: { dailyUsd: 1, monthlyUsd: 9.0001 } } };
      const err = await policy(rules, ledger)
        .plan(request())
        .catch((e: unknown) => e);
      expect((err as NovaCostError).details['period']).toBe('monthly');
    });

    it('does not limit tenants without a budget', async () => {
      const ledger = new InMemorySpendLedger();
      await ledger.record({
        at: clock.now(),
        tenantId: 'acme',
        modelId: 'm',
        category: 'bedrock',
        costUsd: 1e6,
        savings: [],
      });
      await expect(
        policy({ budgets: { byTenant: { other: { dailyUsd: 1 } } } }, ledger).plan(request()),
      ).resolves.toBeDefined();
    });

    it('lets concurrent requests overspend by no more than one call beyond its reservation', async () => {
      // Each call reserves its worst case: the prompt estimate plus 200 output tokens on Nova Pro.
      const p = policy({ budgets: { default: { dailyUsd: 0.01 } } });
      const plans = await Promise.allSettled(Array.from({ length: 50 }, () => p.plan(request())));
      const admitted = plans.filter((r) => r.status === 'fulfilled');
      const worst = (admitted[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof p.plan>>>).value.reservation
        .worstCaseUsd;
      expect(admitted.length).toBe(Math.floor(0.01 / worst));
      expect(admitted.length * worst).toBeLessThanOrEqual(0.01);
      // Settling below the reservation frees room for another call.
      for (const r of admitted)
        (r as PromiseFulfilledResult<Awaited<ReturnType<typeof p.plan>>>).value.reservation.settle(0);
      await expect(p.plan(request())).resolves.toBeDefined();
    });

    it('sees the spend another process recorded in the shared ledger once budgetRefreshMs has passed', async () => {
      const ledger = new InMemorySpendLedger();
      let now = new Date('2026-11-28T10:00:00Z');
      const p = new RuleBasedCostPolicy(
        { budgets: { default: { dailyUsd: 5 } } },
        { pricing, ledger, clock: { now: () => now }, budgetRefreshMs: 1000 },
      );
      await p.plan(request()).then((plan) => plan.reservation.release());
      // Another gateway task spends nearly the whole budget.
      await ledger.record({
        at: now,
        tenantId: 'acme',
        modelId: 'amazon.nova-pro-v1:0',
        category: 'bedrock',
        costUsd: 4.9999,
        savings: [],
      });
      await expect(p.plan(request())).resolves.toBeDefined(); // its last reading is younger than budgetRefreshMs
      now = new Date(now.getTime() + 1500);
      await p.plan(request()).catch(() => undefined); // starts the re-read in the background
      await new Promise((r) => setImmediate(r));
      await expect(p.plan(request())).rejects.toSatisfy((e) => NovaCostError.is(e, 'budget-exceeded'));
    });

    it('fails open when the ledger cannot be read, counting the spend settled in this process', async () => {
      const ledger = new InMemorySpendLedger();
      ledger.totals = () => Promise.reject(new Error('connection reset'));
      const p = policy({ budgets: { default: { dailyUsd: 0.01 } } }, ledger);
      const first = await p.plan(request());
      first.reservation.settle(0.0099);
      await expect(p.plan(request())).rejects.toSatisfy((e) => NovaCostError.is(e, 'budget-exceeded'));
    });

    it('reads a ledger that could not be read again a second later, even without budgetRefreshMs', async () => {
      const ledger = new InMemorySpendLedger();
      await ledger.record({
        at: new Date('2026-11-28T09:00:00Z'),
        tenantId: 'acme',
        modelId: 'amazon.nova-pro-v1:0',
        category: 'bedrock',
        costUsd: 4.9999,
        savings: [],
      });
      const totals = ledger.totals.bind(ledger);
      ledger.totals = () => Promise.reject(new Error('connection reset'));
      let now = new Date('2026-11-28T10:00:00Z');
      const p = new RuleBasedCostPolicy(
        { budgets: { default: { dailyUsd: 5 } } },
        { pricing, ledger, clock: { now: () => now } },
      );
      await expect(p.plan(request())).resolves.toBeDefined(); // fails open: the spend is unknown
      ledger.totals = totals;
      now = new Date(now.getTime() + 1000);
      await p.plan(request()).catch(() => undefined); // starts the re-read
      await new Promise((r) => setImmediate(r));
      await expect(p.plan(request())).rejects.toSatisfy((e) => NovaCostError.is(e, 'budget-exceeded'));
    });

    it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])(
      'holds tenant %s to the default budget (no tenant id reaches Object.prototype)',
      async (tenantId) => {
        const rules: CostPolicyRules = { budgets: { default: { dailyUsd: 0 }, byTenant: { acme: { dailyUsd: 10 } } } };
        await expect(policy(rules).plan(request({ tenantId }))).rejects.toSatisfy((e) =>
          NovaCostError.is(e, 'budget-exceeded'),
        );
      },
    );

    it('takes a budget keyed "__proto__" from a parsed document as that tenant\'s, and no one else\'s', async () => {
      const byTenant = JSON.parse('{"__proto__": {"dailyUsd": 0}}') as Record<string, TenantBudget>;
      const p = policy({ budgets: { byTenant } });
      await expect(p.plan(request({ tenantId: '__proto__' }))).rejects.toSatisfy((e) =>
        NovaCostError.is(e, 'budget-exceeded'),
      );
      await expect(p.plan(request({ tenantId: 'acme' }))).resolves.toBeDefined();
    });

    it("reserves the model's maximum output for a Converse call whose only cap is a top-level max_tokens Bedrock ignores", async () => {
      // Nova Pro may answer 10,000 tokens ($0.032) when inferenceConfig.maxTokens is not set.
      const rules: CostPolicyRules = { budgets: { default: { dailyUsd: 0.01 } } };
      const capped = await policy(rules).plan(request({ body: converse({ temperature: 0, maxTokens: 200 }) }));
      expect(capped.reservation.worstCaseUsd).toBeLessThan(0.001);
      const uncapped = request({ body: converse({ temperature: 0 }, { max_tokens: 1 }) });
      await expect(policy(rules).plan(uncapped)).rejects.toSatisfy((e) => NovaCostError.is(e, 'budget-exceeded'));
    });

    it('reserves the input of a toolResult full of numbers, not just its text', async () => {
      const json = { rows: Array.from({ length: 5_000 }, (_, i) => [i, i * 3, i % 7]) };
      const body = converse(
        { temperature: 0, maxTokens: 10 },
        { messages: [{ role: 'user', content: [{ toolResult: { toolUseId: 't', content: [{ json }] } }] }] },
      );
      const plan = await policy().plan(request({ body }));
      // Nova Pro input at $0.80 per million tokens, a token per digit and mark at least.
      const marks = JSON.stringify(json).replace(/[a-z]/g, '').length;
      expect(plan.reservation.worstCaseUsd).toBeGreaterThanOrEqual((marks * 0.8) / 1e6);
    });

    it('releases the reservation of a call that never ran', async () => {
      const p = policy({ budgets: { default: { dailyUsd: 0.001 } } });
      const first = await p.plan(request());
      await expect(p.plan(request())).rejects.toThrowError(/daily budget/);
      first.reservation.release();
      first.reservation.settle(1); // no effect: the hold is already closed
      await expect(p.plan(request())).resolves.toBeDefined();
    });
  });

  describe('having a model without a price', () => {
    const unknown = request({ modelId: 'writer.palmyra-x5-v1:0' });

    it('forwards it unrouted, cached by the usual rule, reserving nothing, when the tenant has no budget', async () => {
      const plan = await policy({
        routes: [{ name: 'r', from: ['amazon.nova-pro-v1:0'], to: 'amazon.nova-micro-v1:0' }],
      }).plan(unknown);
      expect(plan).toMatchObject({
        call: { modelId: 'writer.palmyra-x5-v1:0', cache: { ttlSeconds: 3600 } },
        reservation: { worstCaseUsd: 0 },
      });
      expect(plan.routedBy).toBeUndefined();
    });

    it('forwards a catalog model in a region the price table lacks the same way', async () => {
      await expect(policy({ region: 'sa-east-1' }).plan(request())).resolves.toMatchObject({
        call: { region: 'sa-east-1' },
      });
    });

    it('refuses it for a tenant with a budget, which its spend could not be counted against', async () => {
      await expect(policy({ budgets: { default: { monthlyUsd: 100 } } }).plan(unknown)).rejects.toMatchObject({
        kind: 'unknown-price',
        message: expect.stringMatching(/has no price in us-east-1, and tenant acme has a budget/),
      });
    });

    it("refuses it for everyone when the policy says unpricedModels: 'refuse'", async () => {
      await expect(policy({ unpricedModels: 'refuse' }).plan(unknown)).rejects.toMatchObject({
        kind: 'access-denied',
        details: { reason: 'unpriced-model' },
      });
    });

    it('never routes to a model that has no price in the region', async () => {
      const rules: CostPolicyRules = {
        region: 'sa-east-1',
        routes: [{ name: 'r', from: ['amazon.nova-pro-v1:0'], to: 'amazon.nova-micro-v1:0' }],
      };
      const plan = await new RuleBasedCostPolicy(rules, {
        pricing: new StaticPricingCatalog([
          {
            modelId: 'amazon.nova-pro-v1:0',
            region: 'sa-east-1',
            inputPer1M: 1,
            outputPer1M: 4,
            cacheReadPer1M: 0,
            cacheWritePer1M: 0,
            source: 'test',
            asOf: '2026-01-01',
          },
        ]),
        ledger: new InMemorySpendLedger(),
        clock,
      }).plan(request());
      expect(plan.call.modelId).toBe('amazon.nova-pro-v1:0');
    });
  });

  describe('misuse', () => {
    it('rejects images sent to a text model that cannot read them', async () => {
      const body = converse(
        {},
        { messages: [{ role: 'user', content: [{ image: { format: 'png', source: { bytes: 'AA' } } }] }] },
      );
      await expect(policy().plan(request({ modelId: 'amazon.nova-micro-v1:0', body }))).rejects.toThrowError(
        'model amazon.nova-micro-v1:0 does not accept images',
      );
    });

    it.each<[string, CostPolicyRules, RegExp]>([
      [
        'an unknown route target',
        { routes: [{ name: 'r', from: ['amazon.nova-pro-v1:0'], to: 'nope.model-v1:0' }] },
        /route "r" names unknown model/,
      ],
      [
        'a route to a model that costs more per token (the budget reservation would be too small)',
        { routes: [{ name: 'up', from: ['amazon.nova-micro-v1:0'], to: 'amazon.nova-pro-v1:0' }] },
        /route "up" sends amazon.nova-micro-v1:0 to amazon.nova-pro-v1:0, which costs more per token in us-east-1/,
      ],
    ])('refuses rules with %s', (_name, rules, message) => {
      expect(() => policy(rules)).toThrowError(message);
    });
  });
});
