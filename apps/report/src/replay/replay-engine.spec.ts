import type { CostPolicyRules } from '@nova-cost/domain';
import { StaticPricingCatalog } from '@nova-cost/domain';
import { describe, expect, it } from 'vitest';
import { parseInvocationRecord } from '../logs/parse-invocation-record';
import type { LoggedCall } from '../logs/logged-call';
import { SavingsTally } from '../report/savings-tally';
import {
  converseRecord,
  converseStreamRecord,
  converseText,
  errorRecord,
  largeBodyRecord,
} from '../testing/log-records';
import type { IdentityRule } from './identity-rules';
import { IdentityMap } from './identity-rules';
import type { ReplayBatchOptions } from './replay-batch-queue';
import type { ReplayedCall } from './replay-engine';
import { ReplayEngine } from './replay-engine';

// Nova Lite us-east-1: 0.06 in / 0.24 out per 1M. Nova Pro: 0.8 / 3.2.
const LITE_120_80 = (120 * 0.06 + 80 * 0.24) / 1e6; // 0.0000264
const PRO_1000_200 = (1000 * 0.8 + 200 * 3.2) / 1e6; // 0.00144
const LITE_1000_200 = (1000 * 0.06 + 200 * 0.24) / 1e6; // 0.000108
const LITE_120_50 = (120 * 0.06 + 50 * 0.24) / 1e6; // 0.0000192
// Claude 3.5 Haiku: 0.8 / 4 per 1M; no Flex tier in the price table.
const HAIKU_120_80 = (120 * 0.8 + 80 * 4) / 1e6; // 0.000416

const T0 = Date.parse('2026-03-02T09:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function logged(record: Record<string, unknown>): LoggedCall {
  const parsed = parseInvocationRecord(record, { file: 'spec', line: 1 });
  if (!('call' in parsed)) throw new Error(parsed.problem);
  return parsed.call;
}

/** A Converse call to `model` at T0 + `offsetMs` asking `text`, as logged. */
function ask(
  offsetMs: number,
  text: string,
  over: {
    model?: string;
    temperature?: number;
    latencyMs?: number;
    stop?: string;
    in?: number;
    out?: number;
    arn?: string;
    /** The service tier the caller named (Converse serviceTier). */
    tier?: string;
  } = {},
): LoggedCall {
  const usage = { in: over.in ?? 120, out: over.out ?? 80 };
  const record = converseRecord(
    { timestamp: iso(T0 + offsetMs), modelId: over.model ?? 'amazon.nova-lite-v1:0' },
    text,
    usage,
  );
  (record['input'] as Record<string, unknown>)['inputBodyJson'] = {
    ...converseText(text, over.temperature ?? 0),
    ...(over.tier ? { serviceTier: { type: over.tier } } : {}),
  };
  const out = (record['output'] as Record<string, Record<string, unknown>>)['outputBodyJson']!;
  out['metrics'] = { latencyMs: over.latencyMs ?? 900 };
  if (over.stop) out['stopReason'] = over.stop;
  if (over.arn) record['identity'] = { arn: over.arn };
  return logged(record);
}

const SONNET = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
/** An agent's system prompt of about 3,000 tokens (the domain's estimate), the same every turn. */
const AGENT_SYSTEM = Array.from(
  { length: 300 },
  (_, i) => `Rule ${i + 1}: answer as the shop's assistant and cite the section.`,
).join(' ');

/** A turn of a support agent on Claude Sonnet 4.5 at T0 + `offsetMs`: its long system prompt, then `text`. */
function agentTurn(offsetMs: number, text: string, usage: { in: number; out: number }): LoggedCall {
  const record = converseRecord({ timestamp: iso(T0 + offsetMs), modelId: SONNET }, text, usage);
  (record['input'] as Record<string, unknown>)['inputBodyJson'] = {
    system: [{ text: AGENT_SYSTEM }],
    ...converseText(text, 0.5),
  };
  return logged(record);
}

async function replay(
  calls: LoggedCall[],
  rules: CostPolicyRules = {},
  identities: IdentityRule[] = [],
  batch?: ReplayBatchOptions,
) {
  const pricing = new StaticPricingCatalog();
  const engine = new ReplayEngine({
    rules,
    pricing,
    identities: new IdentityMap(identities),
    ...(batch ? { batch } : {}),
  });
  const tally = new SavingsTally();
  const replayed: ReplayedCall[] = [];
  for (const c of calls) replayed.push(...(await engine.replay(c)));
  replayed.push(...(await engine.finish()));
  for (const r of replayed) tally.add(r);
  const sources = replayed.map((r) => (r.kind === 'replayed' ? r.outcome.result.cache : r.kind));
  return { ...tally.groups(), sources, replayed, tally };
}

describe(ReplayEngine, () => {
  describe('having deterministic duplicates', () => {
    it('serves a repeat inside the TTL from the cache and pays again once the TTL has run out', async () => {
      // TTL 600 s: the first answer is stored at 0.9 s and kept until 600.9 s.
      const { total, sources } = await replay(
        [ask(0, 'refund window?'), ask(300_000, 'refund window?'), ask(601_000, 'refund window?')],
        { cache: { defaultTtlSeconds: 600 } },
      );
      expect(sources).toEqual(['miss', 'hit', 'miss']);
      expect(total.calls).toBe(3);
      expect(total.usdBefore).toBeCloseTo(3 * LITE_120_80, 12);
      expect(total.usdAfter).toBeCloseTo(2 * LITE_120_80, 12);
      expect(total.savedShare).toBeCloseTo(1 / 3, 12);
      expect(total.byLever['cache']).toEqual({
        calls: 1,
        tokensBefore: 200,
        tokensAfter: 0,
        usdBefore: expect.closeTo(LITE_120_80, 12),
        usdAfter: 0,
        savedUsd: expect.closeTo(LITE_120_80, 12),
      });
      expect(total.tokensBefore).toBe(600);
      expect(total.tokensAfter).toBe(400);
    });

    it('keeps tenants apart: the same prompt from another role is another request', async () => {
      const { sources, byTenant } = await replay([
        ask(0, 'q'),
        ask(5_000, 'q', { arn: 'arn:aws:sts::1:assumed-role/search-indexer/s1' }),
      ]);
      expect(sources).toEqual(['miss', 'miss']);
      expect(byTenant.map((t) => t.key).sort()).toEqual(['checkout-api', 'search-indexer']);
    });
  });

  describe('having concurrent duplicates', () => {
    it('coalesces a request that starts while the identical one is in flight, and serves one that starts after it ended from the cache', async () => {
      // The first call runs from 0 to 900 ms.
      const { total, sources } = await replay([ask(0, 'q'), ask(500, 'q'), ask(899, 'q'), ask(900, 'q')]);
      expect(sources).toEqual(['miss', 'coalesced', 'coalesced', 'hit']);
      expect(total.byLever['coalescing']?.calls).toBe(2);
      expect(total.byLever['coalescing']?.savedUsd).toBeCloseTo(2 * LITE_120_80, 12);
      expect(total.byLever['cache']?.savedUsd).toBeCloseTo(LITE_120_80, 12);
      expect(total.savedShare).toBeCloseTo(3 / 4, 12);
    });

    it('serves a truncated answer again, as the gateway does (its output cap is in the request key)', async () => {
      const { sources } = await replay([
        ask(0, 'q', { stop: 'max_tokens' }),
        ask(100, 'q', { stop: 'max_tokens' }),
        ask(5_000, 'q', { stop: 'max_tokens' }),
      ]);
      expect(sources).toEqual(['miss', 'coalesced', 'hit']);
    });

    it('coalesces an answer a guardrail refused in flight but never serves it from the cache', async () => {
      const { sources } = await replay([
        ask(0, 'q', { stop: 'guardrail_intervened' }),
        ask(100, 'q', { stop: 'guardrail_intervened' }),
        ask(5_000, 'q', { stop: 'guardrail_intervened' }),
      ]);
      expect(sources).toEqual(['miss', 'coalesced', 'miss']);
    });
  });

  describe('having non-deterministic requests', () => {
    it('neither caches nor coalesces them', async () => {
      const { sources, total } = await replay([
        ask(0, 'poem', { temperature: 0.7 }),
        ask(100, 'poem', { temperature: 0.7 }),
        ask(5_000, 'poem', { temperature: 0.7 }),
      ]);
      expect(sources).toEqual(['bypass', 'bypass', 'bypass']);
      expect(total.savedUsd).toBe(0);
    });

    it('caches them for an identity whose rule opts in, as the gateway does for the cache-hint header', async () => {
      const { sources } = await replay(
        [ask(0, 'poem', { temperature: 0.7 }), ask(5_000, 'poem', { temperature: 0.7 })],
        {},
        [{ match: '*:assumed-role/checkout-api/*', cache: 'opt-in' }],
      );
      expect(sources).toEqual(['miss', 'hit']);
    });
  });

  describe('having a route to a cheaper model', () => {
    const rules: CostPolicyRules = {
      routes: [
        {
          name: 'short-pro-to-lite',
          from: ['amazon.nova-pro-v1:0'],
          to: 'amazon.nova-lite-v1:0',
          when: { maxInputTokens: 2000 },
        },
      ],
    };

    it('prices the call on the model routed to and counts the difference as the routing saving', async () => {
      const { total, byModel } = await replay(
        [ask(0, 'short question', { model: 'amazon.nova-pro-v1:0', in: 1000, out: 200, temperature: 0.5 })],
        rules,
      );
      expect(total.usdBefore).toBeCloseTo(PRO_1000_200, 12);
      expect(total.usdAfter).toBeCloseTo(LITE_1000_200, 12);
      expect(total.byLever['routing']).toEqual({
        calls: 1,
        tokensBefore: 1200,
        tokensAfter: 1200,
        usdBefore: expect.closeTo(PRO_1000_200, 12),
        usdAfter: expect.closeTo(LITE_1000_200, 12),
        savedUsd: expect.closeTo(PRO_1000_200 - LITE_1000_200, 12),
      });
      // Figures by model are by the model the caller asked for.
      expect(byModel.map((m) => m.key)).toEqual(['amazon.nova-pro-v1:0']);
    });

    it('splits a routed repeat served from the cache between routing and the cache', async () => {
      const { total } = await replay(
        [
          ask(0, 'short', { model: 'amazon.nova-pro-v1:0', in: 1000, out: 200 }),
          ask(60_000, 'short', { model: 'amazon.nova-pro-v1:0', in: 1000, out: 200 }),
        ],
        rules,
      );
      expect(total.usdBefore).toBeCloseTo(2 * PRO_1000_200, 12);
      expect(total.usdAfter).toBeCloseTo(LITE_1000_200, 12);
      expect(total.byLever['routing']?.savedUsd).toBeCloseTo(2 * (PRO_1000_200 - LITE_1000_200), 12);
      expect(total.byLever['cache']?.savedUsd).toBeCloseTo(LITE_1000_200, 12);
      expect(total.savedUsd).toBeCloseTo(2 * PRO_1000_200 - LITE_1000_200, 12);
    });

    it("does not route a request whose prompt is over the rule's limit", async () => {
      const { total } = await replay(
        [ask(0, 'x'.repeat(10_000), { model: 'amazon.nova-pro-v1:0', in: 1000, out: 200 })],
        rules,
      );
      expect(total.byLever['routing']).toBeUndefined();
      expect(total.usdAfter).toBeCloseTo(PRO_1000_200, 12);
    });
  });

  describe('having an output cap in the policy', () => {
    // The logged requests ask for 300 tokens; the ceiling clamps them to 50.
    const rules: CostPolicyRules = { outputCaps: [{ maxTokens: 50 }] };

    it('bills the answer cut at the cap and counts what the cut tokens cost as the output-cap saving', async () => {
      const { total, replayed } = await replay([ask(0, 'essay', { temperature: 0.7, out: 80 })], rules);
      const r = replayed[0]!;
      if (r.kind !== 'replayed') throw new Error(r.kind);
      expect(r.outcome.outputCap).toEqual({ action: 'clamped', maxTokens: 50, rule: 0 });
      expect(r.outcome.result).toMatchObject({ usage: { outputTokens: 50 }, stopReason: 'max_tokens' });
      expect(total.usdBefore).toBeCloseTo(LITE_120_80, 12);
      expect(total.usdAfter).toBeCloseTo(LITE_120_50, 12);
      expect(total.tokensAfter).toBe(170);
      expect(total.byLever['output-cap']).toEqual({
        calls: 1,
        tokensBefore: 200,
        tokensAfter: 170,
        usdBefore: expect.closeTo(LITE_120_80, 12),
        usdAfter: expect.closeTo(LITE_120_50, 12),
        savedUsd: expect.closeTo(LITE_120_80 - LITE_120_50, 12),
      });
    });

    it('saves nothing on an answer shorter than the cap', async () => {
      const { total } = await replay([ask(0, 'yes?', { temperature: 0.7, out: 20 })], rules);
      expect(total.byLever['output-cap']).toBeUndefined();
      expect(total.savedUsd).toBe(0);
    });

    it('serves a repeat of the capped request from the cache: the cap saves on both, the cache the capped answer', async () => {
      const { total, sources } = await replay([ask(0, 'essay', { out: 80 }), ask(60_000, 'essay', { out: 80 })], rules);
      expect(sources).toEqual(['miss', 'hit']);
      expect(total.byLever['output-cap']?.savedUsd).toBeCloseTo(2 * (LITE_120_80 - LITE_120_50), 12);
      expect(total.byLever['cache']?.savedUsd).toBeCloseTo(LITE_120_50, 12);
      // The levers add up to the saving: 2 × 26.4e-6 before, 19.2e-6 after.
      expect(total.savedUsd).toBeCloseTo(2 * LITE_120_80 - LITE_120_50, 12);
    });

    it('writes its default cap into a request that sets none', async () => {
      const { total } = await replay([ask(0, 'essay', { temperature: 0.7, out: 80 })], {
        outputCaps: [{ defaultMaxTokens: 50 }],
      });
      // The logged request sets 300: a default does not lower it.
      expect(total.byLever['output-cap']).toBeUndefined();
    });
  });

  describe('having inference profiles in the policy', () => {
    const sonnet = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
    // Sonnet 4.5 through its global profile: 3 in / 15 out per 1M; in-region 10% more.
    const GLOBAL_120_80 = (120 * 3 + 80 * 15) / 1e6;

    it('bills calls a tenant lets go global at the global profile and counts the difference as inference-profile', async () => {
      const rules: CostPolicyRules = { inferenceProfiles: [{ dataResidency: 'global' }] };
      const { total } = await replay([ask(0, 'q', { temperature: 0.7, model: sonnet })], rules);
      expect(total.usdAfter).toBeCloseTo(GLOBAL_120_80, 12);
      expect(total.byLever['inference-profile']?.savedUsd).toBeCloseTo(GLOBAL_120_80 * 0.1, 12);
    });

    it('keeps them in the region without a rule allowing it', async () => {
      const { total } = await replay([ask(0, 'q', { temperature: 0.7, model: sonnet })]);
      expect(total.usdAfter).toBeCloseTo(GLOBAL_120_80 * 1.1, 12);
      expect(total.byLever['inference-profile']).toBeUndefined();
    });
  });

  describe('having service tiers in the policy', () => {
    const rules: CostPolicyRules = { serviceTiers: [{ match: { tenants: ['checkout-api'] }, tier: 'flex' }] };

    it("bills the tenant's calls at Flex where the model offers it and counts the difference as the service-tier saving", async () => {
      const { total, replayed } = await replay([ask(0, 'q', { temperature: 0.7 })], rules);
      const r = replayed[0]!;
      if (r.kind !== 'replayed') throw new Error(r.kind);
      expect(r.outcome.result.serviceTier).toBe('flex');
      // Nova Lite at Flex: half the standard rates.
      expect(total.usdAfter).toBeCloseTo(LITE_120_80 / 2, 12);
      expect(total.byLever['service-tier']).toMatchObject({
        calls: 1,
        usdBefore: expect.closeTo(LITE_120_80, 12),
        usdAfter: expect.closeTo(LITE_120_80 / 2, 12),
        savedUsd: expect.closeTo(LITE_120_80 / 2, 12),
      });
    });

    it('runs a model without a Flex price in the default tier, as the Bedrock adapter learns it must', async () => {
      const haiku = 'anthropic.claude-3-5-haiku-20241022-v1:0';
      const { total, replayed } = await replay([ask(0, 'q', { temperature: 0.7, model: haiku })], rules);
      const r = replayed[0]!;
      if (r.kind !== 'replayed') throw new Error(r.kind);
      expect(r.outcome.result.serviceTier).toBe('default');
      expect(total.usdAfter).toBeCloseTo(HAIKU_120_80, 12);
      expect(total.byLever['service-tier']).toBeUndefined();
    });

    it('prices a call in the tier its caller named, before and after alike', async () => {
      const { total } = await replay([ask(0, 'q', { temperature: 0.7, tier: 'priority' })], rules);
      expect(total.usdBefore).toBeCloseTo(LITE_120_80 * 1.75, 12);
      expect(total.usdAfter).toBeCloseTo(LITE_120_80 * 1.75, 12);
    });
  });

  describe('having calls it cannot replay', () => {
    it('does not bill failed calls, keeps unreplayable ones at their logged cost and names unpriced models', async () => {
      const failed = logged(errorRecord({ timestamp: iso(T0) }));
      const s3Body = logged(largeBodyRecord({ timestamp: iso(T0 + 1) }));
      const llama = logged(converseRecord({ timestamp: iso(T0 + 2), modelId: 'meta.llama3-70b-instruct-v1:0' }));
      const { total, sources, tally } = await replay([failed, s3Body, llama]);
      expect(sources).toEqual(['failed', 'passed-through', 'unpriced']);
      const pro = (40_000 * 0.8 + 300 * 3.2) / 1e6;
      expect(total.calls).toBe(1);
      expect(total.usdBefore).toBeCloseTo(pro, 12);
      expect(total.usdAfter).toBeCloseTo(pro, 12);
      expect(tally.failed()).toEqual([{ errorCode: 'ThrottlingException', calls: 1 }]);
      expect(tally.notReplayedReasons()).toEqual([
        {
          reason: 'request body delivered to S3 (over the inline size), not in the log',
          calls: 1,
          usd: expect.closeTo(pro, 12),
        },
      ]);
      expect(tally.unpriced()).toMatchObject([
        { modelId: 'meta.llama3-70b-instruct-v1:0', region: 'us-east-1', calls: 1, tokens: 200 },
      ]);
    });
  });

  describe('having cache points by policy (the payoff guard)', () => {
    // Claude Sonnet 4.5 in us-east-1 (×1.1 regional premium): 3 in, 15 out, 0.3 cache read, 3.75 cache write per 1M.
    const usd = (t: { plain: number; read?: number; write?: number; out: number }) =>
      (1.1 * (t.plain * 3 + (t.read ?? 0) * 0.3 + (t.write ?? 0) * 3.75 + t.out * 15)) / 1e6;
    const LOGGED = usd({ plain: 3000, out: 100 }); // 0.01155

    it('writes then reads the system prompt where the guard expects reuse, priced as Bedrock bills it', async () => {
      // Three turns a minute apart. The first teaches the guard the prompt (no point: nothing recurred yet); the second
      // places a point after the system prompt and writes it; the third reads it. Of the logged 3,000 input tokens,
      // 2,997 sit before the point (the domain's estimate puts 3 in the question).
      const turns = [0, 1, 2].map((i) => agentTurn(i * 60_000, `question ${i}`, { in: 3000, out: 100 }));
      const { replayed, total } = await replay(turns, { cachePoints: [{ insert: 'guarded' }] });
      const outcomes = replayed.map((r) => (r.kind === 'replayed' ? r.outcome : undefined));
      expect(outcomes.map((o) => o?.planned.cachePoints.map((p) => p.section))).toEqual([[], ['system'], ['system']]);
      expect(outcomes.map((o) => o?.result.usage)).toEqual([
        { inputTokens: 3000, outputTokens: 100, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
        { inputTokens: 3, outputTokens: 100, cacheReadInputTokens: 0, cacheWriteInputTokens: 2997 },
        { inputTokens: 3, outputTokens: 100, cacheReadInputTokens: 2997, cacheWriteInputTokens: 0 },
      ]);
      const written = usd({ plain: 3, write: 2997, out: 100 }); // 0.014022525: the write's 25% premium
      const read = usd({ plain: 3, read: 2997, out: 100 }); // 0.00264891
      expect(outcomes.map((o) => o?.costUsd)).toEqual([
        expect.closeTo(LOGGED, 12),
        expect.closeTo(written, 12),
        expect.closeTo(read, 12),
      ]);
      // Its own lever: the two calls with points, net of the write (-0.002472525 + 0.00890109).
      expect(total.byLever['prompt-cache']).toEqual({
        calls: 2,
        tokensBefore: 6200,
        tokensAfter: 6200,
        usdBefore: expect.closeTo(2 * LOGGED, 12),
        usdAfter: expect.closeTo(written + read, 12),
        savedUsd: expect.closeTo(2 * LOGGED - written - read, 12),
      });
      expect(total.byLever['prompt-cache']!.savedUsd).toBeCloseTo(0.006428565, 12);
      expect(total.usdAfter).toBeCloseTo(LOGGED + written + read, 12);
    });

    it('places no point where prompts do not recur: nothing written, nothing changed', async () => {
      const turns = [0, 1, 2].map((i) => {
        const t = agentTurn(i * 60_000, `question ${i}`, { in: 3000, out: 100 });
        return { ...t, body: { ...t.body!, system: [{ text: `${AGENT_SYSTEM} Shop ${i}.` }] } };
      });
      const { replayed, total } = await replay(turns, { cachePoints: [{ insert: 'guarded' }] });
      expect(replayed.map((r) => (r.kind === 'replayed' ? r.outcome.planned.cachePoints : 'other'))).toEqual([
        [],
        [],
        [],
      ]);
      expect(total.byLever['prompt-cache']).toBeUndefined();
      expect(total.usdAfter).toBeCloseTo(3 * LOGGED, 12);
    });

    it('leaves calls as logged without a cachePoints policy', async () => {
      const turns = [0, 1, 2].map((i) => agentTurn(i * 60_000, `question ${i}`, { in: 3000, out: 100 }));
      const { total } = await replay(turns);
      expect(total.byLever['prompt-cache']).toBeUndefined();
      expect(total.usdAfter).toBeCloseTo(3 * LOGGED, 12);
    });
  });

  describe('having a tenant budget', () => {
    it('counts calls its daily budget would refuse, at their logged cost', async () => {
      // A call reserves its worst case: 1 estimated prompt token × 0.06 + 300 capped output tokens × 0.24 = $0.00007206,
      // then settles at $0.0000264. Under $0.0001 a day: the first two fit (0 + 72.06e-6, 26.4e-6 + 72.06e-6), the
      // third does not (52.8e-6 + 72.06e-6).
      const { total, replayed, tally } = await replay([ask(0, 'a'), ask(10_000, 'b'), ask(20_000, 'c')], {
        budgets: { default: { dailyUsd: 0.0001 } },
      });
      expect(replayed.map((r) => r.kind)).toEqual(['replayed', 'replayed', 'refused']);
      expect(tally.notReplayedReasons()).toEqual([
        {
          reason: 'refused by the daily budget (kept at its logged cost)',
          calls: 1,
          usd: expect.closeTo(LITE_120_80, 12),
        },
      ]);
      expect(total.usdBefore).toBeCloseTo(3 * LITE_120_80, 12);
      expect(total.usdAfter).toBeCloseTo(3 * LITE_120_80, 12);
    });
  });

  describe('having a deferrable lane mapped from an identity', () => {
    const deferrable: IdentityRule[] = [{ match: '*checkout-api*', tenant: 'checkout', lane: 'deferrable' }];
    const MIN = 60_000;
    const routes = (replayed: ReplayedCall[]) =>
      replayed.map((r) => (r.kind === 'replayed' ? (r.outcome.deferred ?? { route: 'now' }) : { route: r.kind }));

    it('sends a group with its minimum records as one batch job once its oldest call has waited, billed at the batch price', async () => {
      // Three calls by 2 min, at least 3 records a job: the job leaves at 15 min, on the queue's tick; the
      // interactive call at 20 min comes after it.
      const interactive = ask(20 * MIN, 'now', { temperature: 0.3, arn: 'arn:aws:sts::1:assumed-role/support-bot/s' });
      const { total, replayed, byTenant } = await replay(
        [
          ask(0, 'a', { temperature: 0.3 }),
          ask(MIN, 'b', { temperature: 0.3 }),
          ask(2 * MIN, 'c', { temperature: 0.3 }),
          interactive,
        ],
        {},
        deferrable,
        { minRecords: 3 },
      );
      expect(routes(replayed)).toEqual([{ route: 'batch' }, { route: 'batch' }, { route: 'batch' }, { route: 'now' }]);
      expect(replayed.map((r) => r.at)).toEqual([T0, T0 + MIN, T0 + 2 * MIN, T0 + 20 * MIN]);
      expect(total.byLever['batching']).toEqual({
        calls: 3,
        tokensBefore: 600,
        tokensAfter: 600,
        usdBefore: expect.closeTo(3 * LITE_120_80, 12),
        usdAfter: expect.closeTo((3 * LITE_120_80) / 2, 12),
        savedUsd: expect.closeTo((3 * LITE_120_80) / 2, 12),
      });
      expect(total.usdAfter).toBeCloseTo((3 * LITE_120_80) / 2 + LITE_120_80, 12);
      expect(byTenant.find((t) => t.key === 'checkout')?.savedShare).toBeCloseTo(0.5, 12);
    });

    it('answers on demand, at its latest send time, a call whose group never reaches the minimum', async () => {
      const { total, replayed, tally } = await replay(
        [ask(0, 'a', { temperature: 0.3 }), ask(MIN, 'b', { temperature: 0.3 })],
        {},
        deferrable,
        { minRecords: 3 },
      );
      expect(routes(replayed)).toEqual([
        { route: 'on-demand', reason: 'below-minimum-records' },
        { route: 'on-demand', reason: 'below-minimum-records' },
      ]);
      // On demand through Flex (Nova Lite offers it): half of standard, saved by the service tier, none by batching.
      expect(total.byLever['batching']?.savedUsd ?? 0).toBe(0);
      expect(total.byLever['service-tier']?.savedUsd).toBeCloseTo(LITE_120_80, 12);
      expect(tally.deferred()).toEqual([
        {
          route: 'on-demand',
          reason: 'below-minimum-records',
          calls: 2,
          usdBefore: expect.closeTo(2 * LITE_120_80, 12),
          usdAfter: expect.closeTo(LITE_120_80, 12),
        },
      ]);
    });

    it('answers such a call in the standard tier when the batch settings say onDemandTier standard', async () => {
      const { total, replayed } = await replay(
        [ask(0, 'a', { temperature: 0.3 }), ask(MIN, 'b', { temperature: 0.3 })],
        {},
        deferrable,
        { minRecords: 3, onDemandTier: 'standard' },
      );
      expect(routes(replayed).map((r) => r.route)).toEqual(['on-demand', 'on-demand']);
      expect(total.savedUsd).toBe(0);
      expect(total.usdAfter).toBeCloseTo(2 * LITE_120_80, 12);
    });

    it('answers on demand at once a call whose deadline no job could meet', async () => {
      // A 1-hour deadline, and a job is taken to need 6 hours.
      const { replayed } = await replay([ask(0, 'a', { temperature: 0.3 })], {}, deferrable, {
        minRecords: 1,
        defaultDeadlineMs: 3_600_000,
      });
      expect(routes(replayed)).toEqual([{ route: 'on-demand', reason: 'deadline' }]);
      expect(replayed[0]!.at).toBe(T0);
    });

    it('serves a repeat from the cache once its batch answer is in, as the async API looks it up', async () => {
      // One record a job: the first call leaves at 15 min and its answer is kept for the TTL; the repeat at 20 min
      // is answered from the cache; the one at 5 min (before the answer) goes in the same job.
      const { total, replayed } = await replay([ask(0, 'q'), ask(5 * MIN, 'q'), ask(20 * MIN, 'q')], {}, deferrable, {
        minRecords: 1,
      });
      expect(routes(replayed)).toEqual([{ route: 'batch' }, { route: 'batch' }, { route: 'cache' }]);
      expect(total.usdAfter).toBeCloseTo(LITE_120_80, 12);
      expect(total.byLever['batching']?.savedUsd).toBeCloseTo(LITE_120_80, 12);
      // The repeat would otherwise have gone in a job or on demand through Flex: half of standard, the cache saved that.
      expect(total.byLever['cache']?.savedUsd).toBeCloseTo(LITE_120_80 / 2, 12);
    });

    it('keeps a stream on demand in the deferrable lane: its caller waits for the tokens', async () => {
      const stream = logged(
        converseStreamRecord({ timestamp: iso(T0), identity: { arn: 'arn:aws:sts::1:assumed-role/checkout-api/s' } }),
      );
      const { replayed, total } = await replay([stream], {}, deferrable, { minRecords: 1 });
      expect(routes(replayed)).toEqual([{ route: 'now' }]);
      expect(total.savedUsd).toBe(0);
    });
  });

  describe('having a record later than the calls replayed before it', () => {
    it('replays it at the time of the call before it', async () => {
      const { replayed } = await replay([ask(10_000, 'a'), ask(0, 'b')]);
      expect(replayed.map((r) => r.at - T0)).toEqual([10_000, 10_000]);
    });
  });
});
