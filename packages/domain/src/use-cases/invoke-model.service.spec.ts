import { describe, expect, it } from 'vitest';
import type { Clock } from '../clock.port';
import { NovaCostError } from '../errors/nova-cost.error';
import type { InvocationRequest, InvocationResult, PlannedInvocation } from '../invocation/invocation.types';
import type { ModelInvoker } from '../invocation/model-invoker.port';
import { InMemorySpendLedger } from '../ledger/in-memory-spend-ledger';
import type { SpendLedger } from '../ledger/spend-ledger.port';
import type { CostPolicyRules } from '../policy/cost-policy.rules';
import { RuleBasedCostPolicy } from '../policy/rule-based-cost-policy';
import { StaticPricingCatalog } from '../pricing/static-pricing-catalog';
import { InvokeModel } from './invoke-model.service';

const clock: Clock = { now: () => new Date('2026-11-28T10:00:00Z') };
const pricing = new StaticPricingCatalog();

/** An invoker that answers with fixed usage from a chosen source, and remembers what it was asked. */
class ScriptedInvoker implements ModelInvoker {
  readonly seen: PlannedInvocation[] = [];
  constructor(private readonly answer: Partial<InvocationResult> | Error) {}
  async invoke(request: PlannedInvocation): Promise<InvocationResult> {
    this.seen.push(request);
    if (this.answer instanceof Error) throw this.answer;
    return {
      body: { output: { message: { role: 'assistant', content: [{ text: 'ok' }] } } },
      usage: { inputTokens: 1000, outputTokens: 1000, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
      latencyMs: 5,
      cache: 'bypass',
      modelId: request.modelId,
      ...this.answer,
    };
  }
}

const request: InvocationRequest = {
  tenantId: 'acme',
  modelId: 'amazon.nova-pro-v1:0',
  operation: 'converse',
  body: {
    messages: [{ role: 'user', content: [{ text: 'hi' }] }],
    inferenceConfig: { temperature: 0, maxTokens: 100 },
  },
};

function setup(
  answer: Partial<InvocationResult> | Error,
  rules: CostPolicyRules = {},
  ledger: SpendLedger = new InMemorySpendLedger(),
) {
  const invoker = new ScriptedInvoker(answer);
  const policy = new RuleBasedCostPolicy(rules, { pricing, ledger, clock });
  return { invoker, ledger, useCase: new InvokeModel({ policy, invoker, pricing, ledger, clock }) };
}

describe(InvokeModel, () => {
  describe('.execute having inference profiles and fallbacks', () => {
    const SONNET = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
    const HAIKU = 'anthropic.claude-haiku-4-5-20251001-v1:0';
    const sonnet = { ...request, modelId: SONNET };
    const rules: CostPolicyRules = {
      inferenceProfiles: [{ dataResidency: 'global' }],
      routes: [{ name: 'small', from: ['amazon.nova-pro-v1:0'], to: 'amazon.nova-micro-v1:0' }],
    };
    // 1,000 tokens in and out: Sonnet 4.5 is $3/$15 per 1M through the global profile, 10% more in-region.
    const global = (3 + 15) / 1000;

    it('prices a call through the global profile there, and records the 10% it saved as inference-profile', async () => {
      const { useCase, ledger } = setup({}, rules);
      const outcome = await useCase.execute(sonnet);
      expect(outcome.costUsd).toBeCloseTo(global, 12);
      expect(outcome.savings).toEqual([{ strategy: 'inference-profile', usd: expect.closeTo(global * 0.1, 12) }]);
      const { groups } = await ledger.totals({ tenantId: 'acme' }, 'strategy');
      expect(groups.find((g) => g.key === 'inference-profile')?.savedUsd).toBeCloseTo(global * 0.1, 12);
    });

    it("splits a routed call's saving between routing (as addressed) and the profile, adding up", async () => {
      const routed = { ...rules, routes: [{ name: 'small', from: [SONNET], to: HAIKU }] };
      const outcome = await setup({}, routed).useCase.execute(sonnet);
      // Sonnet in-region $3.3/$16.5, Haiku in-region $1.1/$5.5, Haiku global $1/$5 (per 1M).
      expect(outcome.costUsd).toBeCloseTo(6 / 1000, 12);
      expect(outcome.savings).toEqual([
        { strategy: 'inference-profile', usd: expect.closeTo(0.6 / 1000, 12) },
        { strategy: 'routing', usd: expect.closeTo((19.8 - 6.6) / 1000, 12) },
      ]);
      expect(outcome.savedUsd).toBeCloseTo((19.8 - 6) / 1000, 12);
    });

    it('claims no profile saving for an answer a fallback served, and records the model that served', async () => {
      const { useCase, ledger } = setup({ modelId: HAIKU }, { ...rules, fallbacks: [{ to: [HAIKU] }] });
      const outcome = await useCase.execute(sonnet);
      expect(outcome.costUsd).toBeCloseTo((1.1 + 5.5) / 1000, 12);
      expect(outcome.savings).toEqual([]);
      const { groups } = await ledger.totals({ tenantId: 'acme' }, 'model');
      expect(groups.map((g) => g.key)).toEqual([HAIKU]);
    });

    it('claims no profile saving for an answer from the cache (the cache saved it all)', async () => {
      const outcome = await setup({ cache: 'hit' }, rules).useCase.execute(sonnet);
      expect(outcome.savings).toEqual([{ strategy: 'cache', usd: expect.closeTo(global, 12) }]);
    });
  });

  describe('.execute having a model without a price', () => {
    it('answers, and records the call marked unpriced with the tokens billed instead of a $0 cost', async () => {
      const { useCase, ledger } = setup({
        usage: { inputTokens: 700, outputTokens: 90, cacheReadInputTokens: 200, cacheWriteInputTokens: 100 },
      });
      const outcome = await useCase.execute({ ...request, modelId: 'writer.palmyra-x5-v1:0' });
      expect(outcome).toMatchObject({ unpriced: true, costUsd: 0, savings: [] });
      const { total } = await ledger.totals({ tenantId: 'acme' }, 'model');
      expect(total).toMatchObject({
        calls: 1,
        costUsd: 0,
        unpriced: { calls: 1, inputTokens: 1000, outputTokens: 90 },
      });
    });

    it('counts no tokens for an answer nobody was billed for (a cache hit)', async () => {
      const { useCase, ledger } = setup({ cache: 'hit' });
      await useCase.execute({ ...request, modelId: 'writer.palmyra-x5-v1:0' });
      expect((await ledger.totals({ tenantId: 'acme' })).total.unpriced).toEqual({
        calls: 1,
        inputTokens: 0,
        outputTokens: 0,
      });
    });
  });

  describe('.execute having a service tier', () => {
    it.each([
      ['Converse serviceTier priority', { body: { ...request.body, serviceTier: { type: 'priority' } } }, 1.75],
      ['InvokeModel parameter flex', { operation: 'invoke' as const, parameters: { serviceTier: 'flex' } }, 0.5],
    ])('bills %s at its multiple of the standard price', async (_name, over, factor) => {
      const standard = await setup({}).useCase.execute(request);
      const tiered = await setup({}).useCase.execute({ ...request, ...over });
      expect(tiered.costUsd).toBeCloseTo(standard.costUsd * factor, 12);
    });
  });

  describe('.execute having a service tier rule (policy.serviceTiers)', () => {
    const rules: CostPolicyRules = {
      serviceTiers: [
        { match: { lanes: ['deferrable'] }, tier: 'flex' },
        { match: { tenants: ['vip'] }, tier: 'priority' },
      ],
    };
    const deferrable: InvocationRequest = { ...request, hints: { lane: 'deferrable' } };

    it('plans deferrable calls in flex, premium tenants in priority, the rest in the default tier', async () => {
      const { useCase, invoker } = setup({}, rules);
      await useCase.execute(deferrable);
      await useCase.execute({ ...request, tenantId: 'vip' });
      await useCase.execute(request);
      expect(invoker.seen.map((r) => r.tier)).toEqual([
        { name: 'flex', by: 'policy' },
        { name: 'priority', by: 'policy' },
        'default',
      ]);
    });

    it("keeps the caller's own tier, whatever the rules say", async () => {
      const { useCase, invoker } = setup({}, rules);
      await useCase.execute({ ...deferrable, body: { ...request.body, serviceTier: { type: 'priority' } } });
      await useCase.execute({ ...deferrable, operation: 'invoke', parameters: { serviceTier: 'default' } });
      expect(invoker.seen.map((r) => r.tier)).toEqual([
        { name: 'priority', by: 'caller' },
        { name: 'default', by: 'caller' },
      ]);
    });

    it('prices the tier Bedrock says served the call, and records what flex saved as service-tier', async () => {
      const standard = await setup({}).useCase.execute(request);
      const { useCase, ledger } = setup({ serviceTier: 'flex' }, rules);
      const flex = await useCase.execute(deferrable);
      expect(flex.costUsd).toBeCloseTo(standard.costUsd * 0.5, 12);
      expect(flex.savings).toEqual([{ strategy: 'service-tier', usd: expect.closeTo(standard.costUsd * 0.5, 12) }]);
      const { groups } = await ledger.totals({ tenantId: 'acme' }, 'strategy');
      expect(groups.find((g) => g.key === 'service-tier')?.savedUsd).toBeCloseTo(standard.costUsd * 0.5, 12);
    });

    it('splits a routed call in flex between routing (in the standard tier) and the tier, adding up to what it saved', async () => {
      const routed: CostPolicyRules = {
        ...rules,
        routes: [{ name: 'micro', from: ['amazon.nova-pro-v1:0'], to: 'amazon.nova-micro-v1:0' }],
      };
      const outcome = await setup({ serviceTier: 'flex' }, routed).useCase.execute(deferrable);
      // Pro standard 0.004; Micro standard 0.000175, in flex 0.0000875.
      expect(outcome.costUsd).toBeCloseTo(0.0000875, 12);
      expect(outcome.savings).toEqual([
        { strategy: 'service-tier', usd: expect.closeTo(0.0000875, 12) },
        { strategy: 'routing', usd: expect.closeTo(0.004 - 0.000175, 12) },
      ]);
      expect(outcome.savedUsd).toBeCloseTo(0.004 - 0.0000875, 12);
    });

    it('prices a call Bedrock served in another tier than planned at the tier it served, saving nothing', async () => {
      const standard = await setup({}).useCase.execute(request);
      const downgraded = await setup({ serviceTier: 'default' }, rules).useCase.execute(deferrable);
      expect(downgraded.costUsd).toBeCloseTo(standard.costUsd, 12);
      expect(downgraded.savings).toEqual([]);
    });

    it('prices the planned tier when the answer does not say which served it', async () => {
      const standard = await setup({}).useCase.execute(request);
      const flex = await setup({}, rules).useCase.execute(deferrable);
      expect(flex.costUsd).toBeCloseTo(standard.costUsd * 0.5, 12);
    });

    it('never stacks a tier on a batch answer: batch inference has its own price', async () => {
      const standard = await setup({}).useCase.execute(request);
      const batch = await setup({ billing: 'batch' }, rules).useCase.execute(deferrable);
      expect(batch.costUsd).toBeCloseTo(standard.costUsd * 0.5, 12);
      expect(batch.savings.map((s) => s.strategy)).toEqual(['batching']);
    });
  });

  describe('.execute having cache point rules (policy.cachePoints)', () => {
    const system = 'You answer questions about the company ledger with care and precision. '.repeat(150);
    const sonnet: InvocationRequest = {
      tenantId: 'acme',
      // Through the global profile: no regional premium on the rates below.
      modelId: 'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
      operation: 'converse',
      body: { system: [{ text: system }], messages: [{ role: 'user', content: [{ text: 'Totals?' }] }] },
    };

    it('inserts guarded points for the calls a rule matches once their prefix recurs, none where it says never', async () => {
      const rules: CostPolicyRules = {
        cachePoints: [{ match: { tenants: ['globex'] }, insert: 'never' }, { insert: 'guarded' }],
      };
      const { useCase, invoker } = setup({}, rules);
      await useCase.execute(sonnet);
      await useCase.execute(sonnet);
      await useCase.execute({ ...sonnet, tenantId: 'globex' });
      await useCase.execute({ ...sonnet, tenantId: 'globex' });
      expect(invoker.seen.map((r) => r.cachePoints)).toEqual([
        [],
        [{ section: 'system', index: 0, ttl: '5m' }],
        [],
        [],
      ]);
      // The body itself is the caller's: the adapter writes the points.
      expect(invoker.seen[1]?.body).toEqual(sonnet.body);
    });

    it('records what the points saved, net of the writes, as prompt-cache: negative for a write never read', async () => {
      const rules: CostPolicyRules = { cachePoints: [{ insert: 'guarded' }] };
      const usage = (read: number, write: number) => ({
        usage: { inputTokens: 10, outputTokens: 10, cacheReadInputTokens: read, cacheWriteInputTokens: write },
      });
      const write = setup(usage(0, 4000), rules);
      await write.useCase.execute(sonnet);
      const written = await write.useCase.execute(sonnet);
      // 4,000 tokens written at 3.75 instead of read at 3 per 1M.
      expect(written.savings).toEqual([{ strategy: 'prompt-cache', usd: expect.closeTo((-4000 * 0.75) / 1e6, 12) }]);
      const read = setup(usage(4000, 0), rules);
      await read.useCase.execute(sonnet);
      const hit = await read.useCase.execute(sonnet);
      expect(hit.savings).toEqual([{ strategy: 'prompt-cache', usd: expect.closeTo((4000 * 2.7) / 1e6, 12) }]);
    });
  });

  describe('.execute', () => {
    it('bills an upstream answer and records it', async () => {
      const { useCase, ledger, invoker } = setup({});
      const outcome = await useCase.execute(request);
      // Nova Pro: 1000×0.8 + 1000×3.2 per 1M
      expect(outcome.costUsd).toBeCloseTo(0.004, 12);
      expect(outcome.savings).toEqual([]);
      expect(invoker.seen[0]?.cache).toEqual({ ttlSeconds: 3600 });
      expect((await ledger.totals({ tenantId: 'acme' })).total).toMatchObject({ calls: 1, savedUsd: 0 });
    });

    it.each([
      ['hit', 'cache'],
      ['coalesced', 'coalescing'],
    ] as const)('records an answer the cache outcome %s as a saving of its full price', async (cache, strategy) => {
      const { useCase, ledger } = setup({ cache });
      const outcome = await useCase.execute(request);
      expect(outcome.costUsd).toBe(0);
      expect(outcome.savedUsd).toBeCloseTo(0.004, 12);
      expect((await ledger.totals({}, 'strategy')).groups.map((g) => g.key)).toEqual([strategy]);
    });

    it('records the batch discount as a batching saving', async () => {
      const { useCase } = setup({ billing: 'batch' });
      const outcome = await useCase.execute(request);
      expect(outcome.costUsd).toBeCloseTo(0.002, 12);
      expect(outcome.savings).toEqual([{ strategy: 'batching', usd: expect.closeTo(0.002, 12) }]);
    });

    it('records a cheaper route as the difference against the requested model', async () => {
      const rules: CostPolicyRules = {
        routes: [{ name: 'micro', from: ['amazon.nova-pro-v1:0'], to: 'amazon.nova-micro-v1:0' }],
      };
      const { useCase } = setup({}, rules);
      const outcome = await useCase.execute(request);
      // Micro: 1000×0.035 + 1000×0.14 = 0.000175; Pro would have been 0.004.
      expect(outcome.result.modelId).toBe('amazon.nova-micro-v1:0');
      expect(outcome.costUsd).toBeCloseTo(0.000175, 12);
      expect(outcome.savings).toEqual([{ strategy: 'routing', usd: expect.closeTo(0.004 - 0.000175, 12) }]);
    });

    it('releases the budget hold when the call fails, and rethrows the typed error', async () => {
      const failure = new NovaCostError('throttled', 'slow down');
      const { useCase } = setup(failure, { budgets: { default: { dailyUsd: 0.001 } } });
      await expect(useCase.execute(request)).rejects.toBe(failure);
      // The failed call's hold is gone, so the next one still fits the budget.
      await expect(useCase.execute(request)).rejects.toBe(failure);
    });

    it('still answers when the ledger refuses the entry, and reports the refusal', async () => {
      const errors: unknown[] = [];
      const broken: SpendLedger = {
        record: async () => Promise.reject(new Error('disk full')),
        totals: new InMemorySpendLedger().totals.bind(new InMemorySpendLedger()),
      };
      const invoker = new ScriptedInvoker({});
      const policy = new RuleBasedCostPolicy({}, { pricing, ledger: broken, clock });
      const useCase = new InvokeModel({
        policy,
        invoker,
        pricing,
        ledger: broken,
        clock,
        onLedgerError: (e) => errors.push(e),
      });
      await expect(useCase.execute(request)).resolves.toMatchObject({ costUsd: expect.any(Number) });
      expect(errors).toHaveLength(1);
    });
  });

  describe('admission into a shared budget', () => {
    /** Counts holds; the real shared budget is the Redis ledger. */
    const fleet = () => {
      const holds: string[] = [];
      return {
        holds,
        hold: async () => {
          holds.push(`h${holds.length + 1}`);
          return { held: true as const, holdId: holds.at(-1) as string };
        },
        release: () => undefined,
      };
    };
    const rules: CostPolicyRules = { budgets: { default: { dailyUsd: 10 } } };

    it('admits every call before the invoker runs by default, and records the hold with the entry that settles it', async () => {
      const shared = fleet();
      const ledger = new InMemorySpendLedger();
      const recorded: unknown[] = [];
      const spy: SpendLedger = { record: async (e) => void recorded.push(e), totals: (q, g) => ledger.totals(q, g) };
      const useCase = new InvokeModel({
        policy: new RuleBasedCostPolicy(rules, { pricing, ledger, clock, sharedBudget: shared }),
        invoker: new ScriptedInvoker({ cache: 'hit' }),
        pricing,
        ledger: spy,
        clock,
      });
      await useCase.execute(request);
      expect(shared.holds).toEqual(['h1']);
      expect(recorded).toMatchObject([{ costUsd: 0, holdId: 'h1' }]);
    });

    it('leaves admission to the invoker chain when told so: a call the chain never admits takes no hold', async () => {
      const shared = fleet();
      const ledger = new InMemorySpendLedger();
      const policy = new RuleBasedCostPolicy(rules, { pricing, ledger, clock, sharedBudget: shared });
      const hit = new InvokeModel({
        policy,
        invoker: new ScriptedInvoker({ cache: 'hit' }),
        pricing,
        ledger,
        clock,
        admission: 'invoker',
      });
      await hit.execute(request);
      expect(shared.holds).toEqual([]);
      const billed: ModelInvoker = {
        invoke: async (r, options) => (await options?.admit?.(), new ScriptedInvoker({}).invoke(r)),
      };
      await new InvokeModel({ policy, invoker: billed, pricing, ledger, clock, admission: 'invoker' }).execute(request);
      expect(shared.holds).toEqual(['h1']);
    });
  });
});
