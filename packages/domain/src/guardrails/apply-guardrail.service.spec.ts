import { describe, expect, it } from 'vitest';
import type { Clock } from '../clock.port';
import { NovaCostError } from '../errors/nova-cost.error';
import type { InvokeOptions } from '../invocation/invocation.types';
import { InMemorySpendLedger } from '../ledger/in-memory-spend-ledger';
import { RuleBasedCostPolicy } from '../policy/rule-based-cost-policy';
import { StaticPricingCatalog } from '../pricing/static-pricing-catalog';
import { ApplyGuardrail } from './apply-guardrail.service';
import type { GuardrailApplier, GuardrailRequest, GuardrailResult } from './guardrail.types';

const clock: Clock = { now: () => new Date('2026-11-29T10:00:00Z') };
const pricing = new StaticPricingCatalog();

/** Bedrock's answer for 3 text units checked by content, topic and PII filters, and word filters (free). */
const ANSWER = {
  action: 'NONE',
  outputs: [],
  assessments: [],
  usage: {
    contentPolicyUnits: 3,
    topicPolicyUnits: 3,
    wordPolicyUnits: 3,
    sensitiveInformationPolicyUnits: 3,
    sensitiveInformationPolicyFreeUnits: 0,
    contextualGroundingPolicyUnits: 0,
  },
};
/** 3 units × ($0.15 + $0.15 + $0.10) per 1,000. */
const ANSWER_USD = 0.0012;

/** Answers ANSWER with a chosen cache outcome, and remembers what it was asked and admitted. */
class ScriptedApplier implements GuardrailApplier {
  readonly seen: GuardrailRequest[] = [];
  admitted = 0;
  constructor(private readonly cache: GuardrailResult['cache'] | Error = 'bypass') {}
  async apply(request: GuardrailRequest, options: InvokeOptions = {}): Promise<GuardrailResult> {
    this.seen.push(request);
    if (this.cache instanceof Error) throw this.cache;
    if (this.cache === 'bypass') {
      await options.admit?.();
      this.admitted += 1;
    }
    return { body: ANSWER, cache: this.cache, latencyMs: 1 };
  }
}

const request: GuardrailRequest = {
  tenantId: 'acme',
  guardrailId: 'gr1',
  guardrailVersion: '1',
  body: { source: 'INPUT', content: [{ text: { text: 'x'.repeat(2500) } }] },
};

function setup(cache: GuardrailResult['cache'] | Error = 'bypass', budgets = {}) {
  const ledger = new InMemorySpendLedger();
  const applier = new ScriptedApplier(cache);
  const budget = new RuleBasedCostPolicy({ budgets }, { pricing, ledger, clock });
  return { ledger, applier, useCase: new ApplyGuardrail({ budget, applier, ledger, clock, region: 'us-east-1' }) };
}

describe(ApplyGuardrail, () => {
  describe('.execute', () => {
    it('prices the text units Bedrock reports per policy and records the call under guardrail/<id>', async () => {
      const { ledger, useCase, applier } = setup();
      const outcome = await useCase.execute(request);
      expect(outcome.costUsd).toBeCloseTo(ANSWER_USD, 12);
      expect(outcome).toMatchObject({ label: 'guardrail/gr1', unpriced: false, savedUsd: 0 });
      expect(applier.admitted).toBe(1);
      expect(applier.seen[0]).toMatchObject({ region: 'us-east-1', cache: { ttlSeconds: 3600 } });
      const { total, groups } = await ledger.totals({ tenantId: 'acme' }, 'model');
      expect(total.calls).toBe(1);
      expect(groups[0]).toMatchObject({ key: 'guardrail/gr1' });
      expect(total.costUsd).toBeCloseTo(ANSWER_USD, 12);
    });

    it('records an answer from the cache at no cost, its price as the saving', async () => {
      const { ledger, useCase } = setup('hit');
      const outcome = await useCase.execute(request);
      expect(outcome.costUsd).toBe(0);
      expect(outcome.savings).toEqual([{ strategy: 'cache', usd: expect.closeTo(ANSWER_USD, 12) }]);
      expect((await ledger.totals({})).total.savedByStrategy.cache).toBeCloseTo(ANSWER_USD, 12);
    });

    it('names a guardrail addressed by its ARN by its id', async () => {
      const arn = 'arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123';
      expect((await setup().useCase.execute({ ...request, guardrailId: arn })).label).toBe('guardrail/abc123');
    });

    it("caches a numbered version's answers, a DRAFT's only when the caller opts in, none when it opts out", async () => {
      const { useCase, applier } = setup();
      await useCase.execute({ ...request, guardrailVersion: 'DRAFT' });
      await useCase.execute({ ...request, guardrailVersion: 'DRAFT', hints: { cache: 'opt-in' } });
      await useCase.execute({ ...request, hints: { cache: 'opt-out' } });
      expect(applier.seen.map((r) => r.cache?.ttlSeconds)).toEqual([undefined, 3600, undefined]);
    });

    it('refuses a call whose worst case (every priced policy over every text unit) the budget has no room for', async () => {
      // 2,500 characters: 3 units × ($0.15 + $0.15 + $0.10 + $0.10 + $0.17) per 1,000 = $0.00201 at worst.
      const { useCase, applier, ledger } = setup('bypass', { default: { dailyUsd: 0.002 } });
      const error = await useCase.execute(request).catch((e: unknown) => e);
      expect(NovaCostError.is(error, 'budget-exceeded')).toBe(true);
      expect(applier.seen).toHaveLength(0);
      expect((await ledger.totals({})).total.calls).toBe(0);
    });

    it('records a call in a region without a guardrail price as unpriced, never as $0', async () => {
      const { useCase, ledger } = setup();
      const outcome = await useCase.execute({ ...request, region: 'eu-central-2' });
      expect(outcome).toMatchObject({ unpriced: true, costUsd: 0 });
      expect((await ledger.totals({})).total.unpriced).toMatchObject({ calls: 1 });
    });

    it('passes a failure to the caller, releases the hold and records nothing', async () => {
      const failure = new NovaCostError('throttled', 'slow down');
      const { useCase, ledger } = setup(failure);
      await expect(useCase.execute(request)).rejects.toBe(failure);
      expect((await ledger.totals({})).total.calls).toBe(0);
    });
  });

  describe('misuse', () => {
    it.each([
      ['an identifier Bedrock would refuse', { guardrailId: 'Not/An/Id' }, 'guardrailIdentifier'],
      ['a version Bedrock would refuse', { guardrailVersion: 'latest' }, 'guardrailVersion'],
    ])('refuses %s with a validation error naming the field', async (_, change, field) => {
      const error = await setup()
        .useCase.execute({ ...request, ...change })
        .catch((e: unknown) => e);
      expect(NovaCostError.is(error, 'validation')).toBe(true);
      expect((error as NovaCostError).details).toMatchObject({ field });
    });

    it('refuses a negative cache TTL at construction', () => {
      const { ledger, applier } = setup();
      const budget = new RuleBasedCostPolicy({}, { pricing, ledger, clock });
      expect(() => new ApplyGuardrail({ budget, applier, ledger, region: 'us-east-1', cacheTtlSeconds: -1 })).toThrow(
        /cacheTtlSeconds/,
      );
    });
  });
});
