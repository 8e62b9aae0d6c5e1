import { describe, expect, it } from 'vitest';
import type { Clock } from '../clock.port';
import { NovaCostError } from '../errors/nova-cost.error';
import type { InvocationRequest } from '../invocation/invocation.types';
import type { JsonObject } from '../json';
import { InMemorySpendLedger } from '../ledger/in-memory-spend-ledger';
import { StaticPricingCatalog } from '../pricing/static-pricing-catalog';
import type { CostPolicyRules, OutputCapRule } from './cost-policy.rules';
import { RuleBasedCostPolicy } from './rule-based-cost-policy';

const clock: Clock = { now: () => new Date('2026-11-28T10:00:00Z') };
const messages = [{ role: 'user', content: [{ text: 'Tell me everything about invoices.' }] }];

const converse = (inferenceConfig?: JsonObject, extra: JsonObject = {}): InvocationRequest => ({
  tenantId: 'acme',
  modelId: 'amazon.nova-pro-v1:0',
  operation: 'converse',
  body: { messages, ...(inferenceConfig ? { inferenceConfig } : {}), ...extra },
});

const plan = (caps: readonly OutputCapRule[], request: InvocationRequest, rules: CostPolicyRules = {}) =>
  new RuleBasedCostPolicy(
    { ...rules, outputCaps: caps },
    { pricing: new StaticPricingCatalog(), ledger: new InMemorySpendLedger(), clock },
  ).plan(request);

describe('output caps (policy.outputCaps)', () => {
  describe('having a request without a cap', () => {
    it('writes the default where Converse reads it, and holds the budget for it, not the model maximum', async () => {
      const capped = await plan([{ defaultMaxTokens: 300 }], converse({ temperature: 0 }));
      expect(capped.call.body['inferenceConfig']).toEqual({ temperature: 0, maxTokens: 300 });
      expect(capped.outputCap).toEqual({ action: 'default', maxTokens: 300, rule: 0 });
      const uncapped = await plan([], converse({ temperature: 0 }));
      // Nova Pro: $3.2 per 1M output tokens; the uncapped worst case is its 10,000-token maximum.
      expect(uncapped.reservation.worstCaseUsd - capped.reservation.worstCaseUsd).toBeCloseTo(
        ((10_000 - 300) * 3.2) / 1e6,
        9,
      );
    });

    it('adds inferenceConfig to a Converse body that has none, leaving the caller body untouched', async () => {
      const request = converse();
      const capped = await plan([{ defaultMaxTokens: 64 }], request);
      expect(capped.call.body['inferenceConfig']).toEqual({ maxTokens: 64 });
      expect(request.body['inferenceConfig']).toBeUndefined();
    });

    it("writes it in the model family's own InvokeModel field: Nova max_new_tokens, Llama max_gen_len", async () => {
      const nova = await plan([{ defaultMaxTokens: 100 }], {
        ...converse(),
        operation: 'invoke',
        body: { messages, inferenceConfig: { temperature: 0 } },
      });
      expect(nova.call.body['inferenceConfig']).toEqual({ temperature: 0, max_new_tokens: 100 });
      const llama = await plan([{ defaultMaxTokens: 100 }], {
        ...converse(),
        modelId: 'meta.llama3-1-8b-instruct-v1:0',
        operation: 'invoke',
        body: { prompt: 'hi' },
      });
      expect(llama.call.body).toEqual({ prompt: 'hi', max_gen_len: 100 });
    });

    it("never writes one into an Anthropic InvokeModel body, which Bedrock refuses without the caller's own", async () => {
      const body = { anthropic_version: 'bedrock-2023-05-31', messages };
      const p = await plan([{ defaultMaxTokens: 100 }], {
        ...converse(),
        modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
        operation: 'invoke',
        body,
      });
      expect(p.call.body).toEqual(body);
      expect(p.outputCap).toBeUndefined();
    });

    it("takes no more than the model's maximum output or the rule's ceiling", async () => {
      const p = await plan([{ defaultMaxTokens: 50_000 }], converse());
      expect(p.call.body['inferenceConfig']).toEqual({ maxTokens: 10_000 });
      const q = await plan([{ defaultMaxTokens: 5_000, maxTokens: 2_000 }], converse());
      expect(q.call.body['inferenceConfig']).toEqual({ maxTokens: 2_000 });
    });

    it('leaves embeddings and CountTokens alone: Bedrock reads no output cap there', async () => {
      const embed: InvocationRequest = {
        ...converse(),
        modelId: 'amazon.titan-embed-text-v2:0',
        operation: 'invoke',
        body: { inputText: 'x' },
      };
      expect((await plan([{ defaultMaxTokens: 10 }], embed)).call.body).toEqual({ inputText: 'x' });
      const count: InvocationRequest = { ...converse(), operation: 'count-tokens', body: { input: {} } };
      expect((await plan([{ defaultMaxTokens: 10 }], count)).call.body).toEqual({ input: {} });
    });
  });

  describe('having a request above the ceiling', () => {
    it('clamps it, so a huge maxTokens is held at the ceiling instead of refused by the budget', async () => {
      const huge = converse({ temperature: 0, maxTokens: 1_000_000 });
      const rules: CostPolicyRules = { budgets: { default: { dailyUsd: 0.01 } } };
      const refused = await plan([], huge, rules).catch((e: unknown) => e);
      expect(NovaCostError.is(refused, 'budget-exceeded')).toBe(true);
      const p = await plan([{ maxTokens: 1_000 }], huge, rules);
      expect(p.call.body['inferenceConfig']).toEqual({ temperature: 0, maxTokens: 1_000 });
      expect(p.outputCap).toEqual({ action: 'clamped', maxTokens: 1_000, rule: 0 });
      expect(p.reservation.worstCaseUsd).toBeLessThan(0.01);
    });

    it('lowers a higher model-specific override in additionalModelRequestFields as well', async () => {
      const p = await plan(
        [{ maxTokens: 500 }],
        converse({ maxTokens: 800 }, { additionalModelRequestFields: { max_tokens: 4000, top_k: 5 } }),
      );
      expect(p.call.body['additionalModelRequestFields']).toEqual({ max_tokens: 500, top_k: 5 });
      expect(p.call.body['inferenceConfig']).toEqual({ maxTokens: 500 });
    });

    it("clamps Anthropic's max_tokens in an InvokeModel body", async () => {
      const p = await plan([{ maxTokens: 256 }], {
        ...converse(),
        modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
        operation: 'invoke',
        body: { anthropic_version: 'bedrock-2023-05-31', max_tokens: 4096, messages },
      });
      expect(p.call.body['max_tokens']).toBe(256);
    });

    it("refuses it with a validation error naming the field and the ceiling when the rule says 'refuse'", async () => {
      const err = await plan([{ maxTokens: 1_000, onExceeded: 'refuse' }], converse({ maxTokens: 2_000 })).catch(
        (e: unknown) => e,
      );
      expect(NovaCostError.is(err, 'validation')).toBe(true);
      expect((err as NovaCostError).message).toContain('inferenceConfig.maxTokens 2000 is above 1000');
      expect((err as NovaCostError).details).toMatchObject({ maxTokens: 1_000, reason: 'output-cap' });
    });

    it('leaves a request at or below the ceiling as it is', async () => {
      const request = converse({ maxTokens: 1_000 });
      const p = await plan([{ maxTokens: 1_000, onExceeded: 'refuse' }], request);
      expect(p.call.body).toEqual(request.body);
      expect(p.outputCap).toBeUndefined();
    });
  });

  describe('matching', () => {
    const caps: OutputCapRule[] = [
      { match: { tenants: ['globex'] }, maxTokens: 100 },
      { match: { models: ['amazon.nova-pro-v1:0'], operations: ['converse-stream'] }, maxTokens: 200 },
      { maxTokens: 300 },
    ];
    const capOf = async (request: InvocationRequest) =>
      (await plan(caps, request)).call.body['inferenceConfig'] as JsonObject;

    it('applies the first rule whose tenants, models and operations all fit the call', async () => {
      const asked = converse({ maxTokens: 5_000 });
      expect(await capOf({ ...asked, tenantId: 'globex' })).toEqual({ maxTokens: 100 });
      expect(await capOf({ ...asked, operation: 'converse-stream' })).toEqual({ maxTokens: 200 });
      expect(await capOf(asked)).toEqual({ maxTokens: 300 });
      expect(await capOf({ ...asked, modelId: 'us.amazon.nova-pro-v1:0', operation: 'converse-stream' })).toEqual({
        maxTokens: 200,
      });
    });
  });
});
