import { describe, expect, it } from 'vitest';
import type { AnswerCache } from '../async/answer-cache.port';
import type { AsyncListPage, DeferredCall, DeferredCallState, DeferredOutcome } from '../async/deferred-call';
import type { DeferredCallQueue, DeferredSettlement } from '../async/deferred-call-queue.port';
import type { Clock } from '../clock.port';
import type { InvocationResult, PlannedInvocation } from '../invocation/invocation.types';
import type { JsonObject } from '../json';
import { InMemorySpendLedger } from '../ledger/in-memory-spend-ledger';
import type { CostPolicyRules } from '../policy/cost-policy.rules';
import { RuleBasedCostPolicy } from '../policy/rule-based-cost-policy';
import { StaticPricingCatalog } from '../pricing/static-pricing-catalog';
import { AsyncInvocations, asyncInvocationId } from './async-invocations.service';

const clock: Clock = { now: () => new Date('2026-11-28T10:00:00Z') };
const pricing = new StaticPricingCatalog();
const MODEL = 'amazon.nova-lite-v1:0';
const body = (text: string): JsonObject => ({
  messages: [{ role: 'user', content: [{ text }] }],
  inferenceConfig: { temperature: 0, maxTokens: 100 },
});
const usage = { inputTokens: 1000, outputTokens: 500, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 };
const answer = (
  billing: 'batch' | 'on-demand',
  cache: InvocationResult['cache'] = 'bypass',
  serviceTier?: string,
): InvocationResult => ({
  body: { ok: true },
  usage,
  latencyMs: 0,
  cache,
  modelId: MODEL,
  billing,
  ...(serviceTier === undefined ? {} : { serviceTier }),
});

/** The queue's contract in memory: what a durable queue keeps, kept in a Map; settlements made when a spec says. */
class MemoryQueue implements DeferredCallQueue {
  readonly calls = new Map<string, { call: DeferredCall; state: DeferredCallState }>();
  settle: DeferredSettlement | undefined;
  accepted = 0;

  async accept(call: DeferredCall): Promise<DeferredCallState> {
    this.accepted += 1;
    return this.keep(call, 'InProgress');
  }
  async acceptAnswered(call: DeferredCall): Promise<DeferredCallState> {
    return this.keep(call, 'Completed', 'cache');
  }
  async find(tenantId: string, id: string): Promise<DeferredCallState | undefined> {
    const kept = this.calls.get(id);
    return kept?.call.request.tenantId === tenantId ? kept.state : undefined;
  }
  async list(): Promise<AsyncListPage> {
    return { items: [...this.calls.values()].map((c) => c.state) };
  }
  async output(): Promise<JsonObject | undefined> {
    return undefined;
  }
  async start(settle: DeferredSettlement): Promise<void> {
    this.settle = settle;
  }
  /** Ends a kept call as a batch job (or a fallback) would. */
  async finish(id: string, outcome: DeferredOutcome): Promise<void> {
    await this.settle!(this.calls.get(id)!.call, outcome);
  }
  private keep(
    call: DeferredCall,
    status: DeferredCallState['status'],
    route?: DeferredCallState['route'],
  ): DeferredCallState {
    const existing = this.calls.get(call.id);
    if (existing) return existing.state;
    const state: DeferredCallState = {
      id: call.id,
      tenantId: call.request.tenantId,
      modelId: call.request.modelId,
      clientRequestToken: call.clientRequestToken,
      fingerprint: call.fingerprint,
      status,
      submittedAt: call.submittedAt,
      lastModifiedAt: call.submittedAt,
      ...(route ? { route } : {}),
    };
    this.calls.set(call.id, { call, state });
    return state;
  }
}

/** A cache holding one answer per canonical request it was given. */
class MapCache implements AnswerCache {
  readonly kept = new Map<string, InvocationResult>();
  async lookup(request: Pick<PlannedInvocation, 'body'>): Promise<InvocationResult | undefined> {
    const hit = this.kept.get(JSON.stringify(request.body));
    return hit ? { ...hit, cache: 'hit' } : undefined;
  }
  async remember(request: Pick<PlannedInvocation, 'body'>, result: InvocationResult): Promise<void> {
    this.kept.set(JSON.stringify(request.body), result);
  }
}

async function setup(rules: CostPolicyRules = {}, onDemandTier?: 'flex' | 'standard') {
  const ledger = new InMemorySpendLedger();
  const queue = new MemoryQueue();
  const cache = new MapCache();
  const policy = new RuleBasedCostPolicy(rules, { pricing, ledger, clock });
  const async = new AsyncInvocations({
    policy,
    pricing,
    ledger,
    queue,
    cache,
    clock,
    ...(onDemandTier ? { onDemandTier } : {}),
  });
  await async.start();
  return { ledger, queue, cache, async };
}

const standardDeps = () => {
  const ledger = new InMemorySpendLedger();
  return { policy: new RuleBasedCostPolicy({}, { pricing, ledger, clock }), pricing, ledger, queue: new MemoryQueue() };
};

const submission = (text: string, token?: string) => ({
  tenantId: 'acme',
  modelId: MODEL,
  operation: 'converse' as const,
  body: body(text),
  ...(token ? { clientRequestToken: token } : {}),
});

describe(AsyncInvocations, () => {
  describe('.submit', () => {
    it('keeps one call for the same token, however often and however concurrently it is sent', async () => {
      const { async, queue } = await setup();
      const states = await Promise.all([
        async.submit(submission('a', 'tok-1')),
        async.submit(submission('a', 'tok-1')),
        async.submit(submission('a', 'tok-1')),
      ]);
      expect(new Set(states.map((s) => s.id))).toEqual(new Set([asyncInvocationId('acme', 'tok-1')]));
      expect(queue.accepted).toBe(1);
      expect((await async.submit(submission('a', 'tok-1'))).id).toBe(states[0]!.id);
      expect(queue.accepted).toBe(1);
    });

    it('refuses a token used before for another request', async () => {
      const { async } = await setup();
      await async.submit(submission('a', 'tok-1'));
      await expect(async.submit(submission('b', 'tok-1'))).rejects.toMatchObject({
        kind: 'validation',
        details: { reason: 'idempotency-mismatch' },
      });
    });

    it('gives two tenants with the same token two invocations', () => {
      expect(asyncInvocationId('acme', 'tok-1')).not.toBe(asyncInvocationId('globex', 'tok-1'));
      expect(asyncInvocationId('acme', 'tok-1')).toMatch(/^[a-z0-9]{16}$/);
    });

    it('plans the call as deferrable under the cost policy', async () => {
      const { async, queue } = await setup();
      const state = await async.submit(submission('a'));
      expect(queue.calls.get(state.id)!.call.request).toMatchObject({
        lane: 'deferrable',
        region: 'us-east-1',
        cache: { ttlSeconds: 3600 },
      });
    });

    it('reserves the budget at submission, and frees what a failed call held', async () => {
      // Nova Lite with maxTokens 100: a worst case well under a cent; a budget of two of them.
      const { async, queue } = await setup({ budgets: { default: { dailyUsd: 0.00006 } } });
      const first = await async.submit(submission('one'));
      await async.submit(submission('two'));
      await expect(async.submit(submission('three'))).rejects.toMatchObject({ kind: 'budget-exceeded' });
      await queue.finish(first.id, { ok: false, route: 'batch', message: 'record error' });
      await expect(async.submit(submission('three'))).resolves.toMatchObject({ status: 'InProgress' });
    });

    it('answers from the cache at once, recording the saving, without queueing', async () => {
      const { async, queue, cache, ledger } = await setup();
      await cache.remember({ body: body('known') }, answer('on-demand', 'bypass', 'default'));
      const state = await async.submit(submission('known'));
      expect(state).toMatchObject({ status: 'Completed', route: 'cache' });
      expect(queue.accepted).toBe(0);
      const { total } = await ledger.totals({ tenantId: 'acme' });
      expect(total).toMatchObject({ calls: 1, costUsd: 0 });
      expect(total.savedByStrategy.cache).toBeCloseTo((1000 * 0.06 + 500 * 0.24) / 1e6, 12);
    });
  });

  describe('settling', () => {
    it('records a batch answer at half the on-demand price, the other half as the batching saving', async () => {
      const { async, queue, ledger } = await setup();
      const state = await async.submit(submission('a'));
      await queue.finish(state.id, { ok: true, route: 'batch', result: answer('batch') });
      const onDemand = (1000 * 0.06 + 500 * 0.24) / 1e6;
      const { total } = await ledger.totals({ tenantId: 'acme' });
      expect(total.costUsd).toBeCloseTo(onDemand / 2, 12);
      expect(total.savedByStrategy.batching).toBeCloseTo(onDemand / 2, 12);
      const { groups } = await ledger.totals({ tenantId: 'acme' }, 'billing');
      expect(groups.map((g) => [g.key, g.calls])).toEqual([['batch', 1]]);
    });

    it('records an on-demand fallback in Flex at the Flex price, its difference to standard as the service-tier saving', async () => {
      const { async, queue, ledger } = await setup();
      const state = await async.submit(submission('a'));
      const call = queue.calls.get(state.id)!.call;
      expect(call.request.tier).toEqual({ name: 'flex', by: 'policy' });
      await queue.finish(state.id, {
        ok: true,
        route: 'on-demand',
        reason: 'deadline',
        result: answer('on-demand', 'bypass', 'flex'),
      });
      const standard = (1000 * 0.06 + 500 * 0.24) / 1e6;
      const { total, groups } = await ledger.totals({ tenantId: 'acme' }, 'billing');
      expect(total.costUsd).toBeCloseTo(standard * 0.5, 12);
      expect(total.savedByStrategy['service-tier']).toBeCloseTo(standard * 0.5, 12);
      expect(total.savedByStrategy.batching).toBe(0);
      expect(groups.map((g) => [g.key, g.calls])).toEqual([['flex', 1]]);
    });

    it('records a fallback the model served in the standard tier (Flex refused) at the standard price, as standard', async () => {
      const { async, queue, ledger } = await setup();
      const state = await async.submit(submission('a'));
      await queue.finish(state.id, {
        ok: true,
        route: 'on-demand',
        reason: 'below-minimum-records',
        result: answer('on-demand', 'bypass', 'default'),
      });
      const { total, groups } = await ledger.totals({ tenantId: 'acme' }, 'billing');
      expect(total.costUsd).toBeCloseTo((1000 * 0.06 + 500 * 0.24) / 1e6, 12);
      expect(total.savedByStrategy['service-tier']).toBe(0);
      expect(groups.map((g) => [g.key, g.calls])).toEqual([['standard', 1]]);
    });

    it('sends fallbacks in the standard tier when told to, and keeps a tier the caller named', async () => {
      const standard = await setup({}, 'standard');
      const a = await standard.async.submit(submission('a'));
      expect(standard.queue.calls.get(a.id)!.call.request.tier).toBe('default');
      const flex = await setup();
      const named = await flex.async.submit({
        ...submission('b'),
        body: { ...body('b'), serviceTier: { type: 'priority' } },
      });
      expect(flex.queue.calls.get(named.id)!.call.request.tier).toEqual({ name: 'priority', by: 'caller' });
      expect(() => new AsyncInvocations({ ...standardDeps(), onDemandTier: 'priority' as never })).toThrow(
        /onDemandTier must be 'flex' or 'standard'/,
      );
    });

    it('keeps a batch answer in the cache for the next caller of the same request', async () => {
      const { async, queue } = await setup();
      const state = await async.submit(submission('shared'));
      await queue.finish(state.id, { ok: true, route: 'batch', result: answer('batch') });
      expect(await async.submit(submission('shared'))).toMatchObject({ status: 'Completed', route: 'cache' });
    });

    it('records nothing for a failed call', async () => {
      const { async, queue, ledger } = await setup();
      const state = await async.submit(submission('a'));
      await queue.finish(state.id, { ok: false, route: 'batch', message: 'bad record' });
      expect((await ledger.totals({ tenantId: 'acme' })).total.calls).toBe(0);
    });

    it('settles a call kept before a restart (no reservation here) all the same', async () => {
      const { async: before, queue, ledger } = await setup();
      const state = await before.submit(submission('a'));
      const after = new AsyncInvocations({
        policy: new RuleBasedCostPolicy({}, { pricing, ledger, clock }),
        pricing,
        ledger,
        queue,
        clock,
      });
      await after.start();
      await queue.finish(state.id, { ok: true, route: 'batch', result: answer('batch') });
      expect((await ledger.totals({ tenantId: 'acme' })).total.calls).toBe(1);
    });
  });

  describe('misuse', () => {
    it('refuses a malformed token and an out-of-range page size, naming the field', async () => {
      const { async } = await setup();
      await expect(async.submit(submission('a', 'not a token!'))).rejects.toMatchObject({
        kind: 'validation',
        details: { field: 'clientRequestToken' },
      });
      await expect(async.list('acme', { maxResults: 0 })).rejects.toMatchObject({
        kind: 'validation',
        details: { field: 'maxResults' },
      });
    });

    it('says an unknown invocation is not found, also to another tenant', async () => {
      const { async } = await setup();
      const state = await async.submit(submission('a'));
      await expect(async.find('globex', state.id)).rejects.toMatchObject({ kind: 'not-found' });
      await expect(async.output('acme', state.id)).rejects.toMatchObject({
        kind: 'not-found',
        details: { status: 'InProgress' },
      });
    });

    it('refuses a default deadline that is not a positive number', () => {
      const ledger = new InMemorySpendLedger();
      const policy = new RuleBasedCostPolicy({}, { pricing, ledger });
      expect(
        () => new AsyncInvocations({ policy, pricing, ledger, queue: new MemoryQueue(), defaultDeadlineMs: 0 }),
      ).toThrow(/defaultDeadlineMs must be a number > 0/);
    });
  });
});
