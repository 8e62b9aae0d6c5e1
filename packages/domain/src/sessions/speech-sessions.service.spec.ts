import { describe, expect, it } from 'vitest';
import { NovaCostError } from '../errors/nova-cost.error';
import { InMemorySpendLedger } from '../ledger/in-memory-spend-ledger';
import type { CostPolicyRules } from '../policy/cost-policy.rules';
import { RuleBasedCostPolicy } from '../policy/rule-based-cost-policy';
import { StaticPricingCatalog } from '../pricing/static-pricing-catalog';
import { SpeechSessions } from './speech-sessions.service';

const SONIC = 'amazon.nova-sonic-v1:0';
const at = new Date('2026-11-28T10:00:00Z');
const clock = { now: () => at };
/** 10 s at 10 speech tokens a second each way: 10 × (10 × 3.4 + 10 × 13.6) / 1e6 = $0.0017 held per session. */
const WORST_CASE_USD = 0.0017;
const SMALL = {
  maxSeconds: 10,
  worstCaseTokensPerSecond: { speechInput: 10, speechOutput: 10, textInput: 0, textOutput: 0 },
};

function setup(rules: CostPolicyRules = {}) {
  const pricing = new StaticPricingCatalog();
  const ledger = new InMemorySpendLedger();
  const policy = new RuleBasedCostPolicy(rules, { pricing, ledger, clock });
  const sessions = new SpeechSessions({ rules, budget: policy, pricing, ledger, clock });
  const spent = async (tenantId = 'acme') => (await ledger.totals({ tenantId })).total;
  return { sessions, ledger, policy, spent };
}

const usage = (speechIn: number, speechOut: number, textIn = 0, textOut = 0) => ({
  details: {
    delta: {
      input: { speechTokens: speechIn, textTokens: textIn },
      output: { speechTokens: speechOut, textTokens: textOut },
    },
  },
});

describe(SpeechSessions, () => {
  describe('.open', () => {
    it('admits a session and records what it used, speech and text priced apart, when it closes', async () => {
      const { sessions, spent } = setup();
      const session = await sessions.open('acme', SONIC);
      expect(sessions.openSessions).toBe(1);
      expect(await session.meter(usage(1000, 1000, 1000, 1000))).toBeUndefined();
      const summary = await session.close('completed');
      expect(summary).toMatchObject({ tenantId: 'acme', modelId: SONIC, reason: 'completed', unpriced: false });
      expect(summary.costUsd).toBeCloseTo(0.0173, 12);
      expect(await spent()).toMatchObject({ calls: 1 });
      expect((await spent()).costUsd).toBeCloseTo(0.0173, 12);
      expect(sessions.openSessions).toBe(0);
    });

    it("refuses past the tenant's maxConcurrent with a throttle, and admits again once one closes", async () => {
      const { sessions } = setup({
        sessions: { default: { maxConcurrent: 2 }, byTenant: { vip: { maxConcurrent: 3 } } },
      });
      const open = [await sessions.open('acme', SONIC), await sessions.open('acme', SONIC)];
      const refusal = await sessions.open('acme', SONIC).catch((e: unknown) => e);
      expect(NovaCostError.is(refusal, 'throttled')).toBe(true);
      expect((refusal as Error).message).toMatch(
        /tenant acme has 2 speech sessions open, the most its policy allows \(sessions.maxConcurrent 2\)/,
      );
      await sessions.open('vip', SONIC); // another tenant, its own cap
      await open[0]!.close('completed');
      await expect(sessions.open('acme', SONIC)).resolves.toBeDefined();
    });

    it("refuses a session whose worst case the tenant's budget has no room for", async () => {
      const { sessions } = setup({ budgets: { default: { dailyUsd: 0.001 } }, sessions: { default: SMALL } });
      const refusal = await sessions.open('acme', SONIC).catch((e: unknown) => e);
      expect(NovaCostError.is(refusal, 'budget-exceeded')).toBe(true);
      expect((refusal as Error).message).toMatch(/daily budget of \$0.001 .* this call up to \$0.0017/);
      expect(sessions.openSessions).toBe(0);
    });

    it("holds each open session's worst case, so sessions together stay within a budget", async () => {
      const { sessions } = setup({
        budgets: { default: { dailyUsd: 2.5 * WORST_CASE_USD } },
        sessions: { default: SMALL },
      });
      const first = await sessions.open('acme', SONIC);
      await sessions.open('acme', SONIC);
      await expect(sessions.open('acme', SONIC)).rejects.toThrow(/would exceed its daily budget/);
      await first.close('completed'); // used nothing: its hold is freed
      await expect(sessions.open('acme', SONIC)).resolves.toBeDefined();
    });

    it('refuses a model that does not speak', async () => {
      const { sessions } = setup();
      await expect(sessions.open('acme', 'amazon.nova-lite-v1:0')).rejects.toThrow(
        /does not take InvokeModelWithBidirectionalStream/,
      );
    });

    it('lets a model without a price run unpriced, but not for a tenant with a budget or a policy refusing them', async () => {
      const future = 'amazon.nova-3-sonic-v1:0';
      const free = setup();
      const session = await free.sessions.open('acme', future);
      await session.meter(usage(100, 200, 10, 20));
      expect(await session.close('completed')).toMatchObject({ unpriced: true, costUsd: 0 });
      expect((await free.spent()).unpriced).toEqual({ calls: 1, inputTokens: 110, outputTokens: 220 });
      await expect(setup({ budgets: { default: { dailyUsd: 5 } } }).sessions.open('acme', future)).rejects.toThrow(
        /has a budget its sessions could not be counted against/,
      );
      await expect(setup({ unpricedModels: 'refuse' }).sessions.open('acme', future)).rejects.toThrow(
        /refuses unpriced models/,
      );
    });
  });

  describe('.meter', () => {
    it('takes another hold when a session bills past its worst case, and ends it when the budget has no room', async () => {
      const { sessions, spent } = setup({ budgets: { default: { dailyUsd: 0.003 } }, sessions: { default: SMALL } });
      const session = await sessions.open('acme', SONIC);
      expect(await session.meter(usage(0, 100))).toBeUndefined(); // $0.00136, within the $0.0017 held
      // 150 speech tokens out: $0.00204 > $0.0017; another $0.0017 would make $0.0034 > $0.003.
      const end = await session.meter(usage(0, 50));
      expect(NovaCostError.is(end, 'budget-exceeded')).toBe(true);
      expect(end?.message).toMatch(
        /the speech session used the \$0.0017 held for it and tenant acme's budget has no room for more/,
      );
      const summary = await session.close('budget');
      expect(summary.costUsd).toBeCloseTo(0.00204, 12);
      expect((await spent()).costUsd).toBeCloseTo(0.00204, 12); // recorded for what it used
      await expect(sessions.open('acme', SONIC)).rejects.toThrow(/would exceed its daily budget/); // $0.00096 left
    });

    it('goes on with a second hold when the budget has room for it', async () => {
      const { sessions, spent } = setup({ budgets: { default: { dailyUsd: 1 } }, sessions: { default: SMALL } });
      const session = await sessions.open('acme', SONIC);
      expect(await session.meter(usage(0, 300))).toBeUndefined(); // $0.00408: two more holds
      await session.close('completed');
      expect((await spent()).costUsd).toBeCloseTo(0.00408, 12);
    });
  });

  describe('.close', () => {
    it('records one entry however often it is called', async () => {
      const { sessions, spent } = setup();
      const session = await sessions.open('acme', SONIC);
      const [a, b] = await Promise.all([session.close('client-left'), session.close('shutting-down')]);
      expect(a).toBe(b);
      expect(a.reason).toBe('client-left');
      expect((await spent()).calls).toBe(1);
      expect(sessions.openSessions).toBe(0);
    });
  });

  describe('.limitsOf', () => {
    it("takes a tenant's limits field by field over the policy's default over nova-cost's", () => {
      const { sessions } = setup({
        sessions: {
          default: { maxSeconds: 300, idleSeconds: 20 },
          byTenant: { acme: { idleSeconds: 5, worstCaseTokensPerSecond: { speechOutput: 80 } } },
        },
      });
      expect(sessions.limitsOf('acme')).toEqual({
        maxConcurrent: 20,
        maxSeconds: 300,
        idleSeconds: 5,
        worstCaseTokensPerSecond: { speechInput: 50, speechOutput: 80, textInput: 100, textOutput: 50 },
      });
      expect(sessions.limitsOf('constructor').idleSeconds).toBe(20);
    });
  });
});
