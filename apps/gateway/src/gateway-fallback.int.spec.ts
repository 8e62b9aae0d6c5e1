import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { StaticPricingCatalog } from '@nova-cost/domain';
import type { TestRedis } from '@nova-cost/testing';
import { startTestRedis } from '@nova-cost/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config/load-config';
import type { Gateway } from './gateway';
import { startGateway } from './gateway';
import { createLogger } from './observability/logger';
import { gauge } from './testing/gateway-probes';

const SONNET = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
const GLOBAL = `global.${SONNET}`;
const GEO = `us.${SONNET}`;
const HAIKU = 'anthropic.claude-haiku-4-5-20251001-v1:0';
const NOVA_PRO = 'amazon.nova-pro-v1:0';

const document = {
  tenants: [
    { id: 'acme', apiKeys: ['acme-key-0123456789'], sigv4: { accessKeyId: 'ACME', secret: 'acme-secret' } },
    { id: 'eu-bank', apiKeys: ['bank-key-0123456789'], sigv4: { accessKeyId: 'BANK', secret: 'bank-secret' } },
  ],
  policy: {
    inferenceProfiles: [{ match: { tenants: ['eu-bank'] }, dataResidency: 'geo' }, { dataResidency: 'global' }],
    fallbacks: [{ match: { models: [SONNET] }, to: [HAIKU] }],
    // Opens only on a run of failures no 30% throttling makes in these specs' few calls.
    circuitBreaker: { failureThreshold: 20 },
  },
};

function sdk(endpoint: string, accessKeyId: string, secretAccessKey: string): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId, secretAccessKey },
    maxAttempts: 1,
  });
}

const ask = (text: string, modelId = SONNET) =>
  new ConverseCommand({
    modelId,
    messages: [{ role: 'user', content: [{ text }] }],
    inferenceConfig: { maxTokens: 50 },
  });

interface Costs {
  total: { calls: number; costUsd: number };
  byModel: { key: string; calls: number }[];
  byStrategy: { key: string; savedUsd: number; calls: number }[];
}

describe('inference profiles and fallback through the gateway', () => {
  let gateway: Gateway;
  let acme: BedrockRuntimeClient;
  let bank: BedrockRuntimeClient;
  const costs = async (key: string): Promise<Costs> =>
    (await (await fetch(`${gateway.url}/costs`, { headers: { 'x-api-key': key } })).json()) as Costs;
  const local = () => gateway.localBedrock!;

  beforeAll(async () => {
    // A fresh in-memory ledger per gateway: each describe below reads its own tenants' spend.
    const config = loadConfig({ NOVA_COST_CONFIG_JSON: JSON.stringify(document) });
    gateway = await startGateway({ ...config, port: 0 }, { logger: createLogger('silent'), emfIntervalMs: 0 });
    acme = sdk(gateway.url, 'ACME', 'acme-secret');
    bank = sdk(gateway.url, 'BANK', 'bank-secret');
  });
  afterAll(async () => {
    acme.destroy();
    bank.destroy();
    await gateway.shutdown();
  });
  beforeEach(() => {
    local().configure({ faults: { throttleRate: 0, failFirst: 0, models: null } });
    local().reset();
  });

  describe('inference profiles', () => {
    it("sends a tenant's Claude 4.5 call through the global profile its residency allows, and records the saving", async () => {
      const before = await costs('acme-key-0123456789');
      const answer = await acme.send(ask('Which profile answers me?'));
      expect(local().stats().lastCall?.modelId).toBe(GLOBAL);
      const after = await costs('acme-key-0123456789');
      const cost = after.total.costUsd - before.total.costUsd;
      // Priced at the global rate; the in-region rate is 10% more: that difference is the saving.
      const pricing = new StaticPricingCatalog();
      const usage = {
        inputTokens: answer.usage!.inputTokens!,
        outputTokens: answer.usage!.outputTokens!,
        cacheReadInputTokens: 0,
        cacheWriteInputTokens: 0,
      };
      expect(cost).toBeCloseTo(pricing.cost({ modelId: GLOBAL, region: 'us-east-1', usage }), 9);
      const saved = (s: Costs) => s.byStrategy.find((g) => g.key === 'inference-profile')?.savedUsd ?? 0;
      expect(saved(after) - saved(before)).toBeCloseTo(
        pricing.cost({ modelId: SONNET, region: 'us-east-1', usage }) - cost,
        9,
      );
    });

    it('keeps a tenant whose residency is its geography on the id it asked for', async () => {
      await bank.send(ask('Stay in the region, please.'));
      expect(local().stats().lastCall?.modelId).toBe(SONNET);
      expect(
        (await costs('bank-key-0123456789')).byStrategy.find((g) => g.key === 'inference-profile')?.savedUsd ?? 0,
      ).toBe(0);
    });

    it('keeps a model without a cheaper global profile as asked', async () => {
      await acme.send(ask('Nova, are you global?', NOVA_PRO));
      expect(local().stats().lastCall?.modelId).toBe(NOVA_PRO);
    });
  });

  describe('fallback', () => {
    it('answers every call while the global profile throttles 30% of them, each billed once', async () => {
      local().configure({ faults: { throttleRate: 0.3, models: [GLOBAL] } });
      const before = await costs('acme-key-0123456789');
      const answers = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) => acme.send(ask(`Question number ${i} about the ledger`))),
      );
      expect(answers.filter((a) => a.status === 'rejected')).toEqual([]);
      const stats = local().stats();
      // Some were throttled, and answered through the geo profile next.
      expect(stats.faults).toBeGreaterThan(0);
      expect(stats.byModel[GEO]).toBe(stats.faults);
      expect(stats.calls - stats.faults).toBe(40);
      const after = await costs('acme-key-0123456789');
      expect(after.total.calls - before.total.calls).toBe(40);
      expect(await gauge(gateway.url, 'nova_cost_fallbacks_total{reason="throttled"}')).toBeGreaterThanOrEqual(
        stats.faults,
      );
    });

    it('records the model that served: a cheaper one when every profile of the model throttles', async () => {
      local().configure({ faults: { throttleRate: 1, models: [GLOBAL, GEO, SONNET] } });
      const before = await costs('acme-key-0123456789');
      const answer = await acme.send(ask('Who answers when Sonnet is busy?'));
      expect(answer.output?.message?.content?.[0]?.text).toBeTruthy();
      expect(local().stats().byModel).toEqual({ [GLOBAL]: 1, [GEO]: 1, [SONNET]: 1, [HAIKU]: 1 });
      const after = await costs('acme-key-0123456789');
      const haiku = (c: Costs) => c.byModel.find((g) => g.key === HAIKU)?.calls ?? 0;
      expect(haiku(after) - haiku(before)).toBe(1);
      expect(after.total.calls - before.total.calls).toBe(1);
    });

    it('falls back for a stream before its first event', async () => {
      local().configure({ faults: { throttleRate: 1, models: [GLOBAL] } });
      const out = await acme.send(
        new ConverseStreamCommand({ modelId: SONNET, messages: [{ role: 'user', content: [{ text: 'Stream it' }] }] }),
      );
      let text = '';
      for await (const event of out.stream!) text += event.contentBlockDelta?.delta?.text ?? '';
      expect(text).not.toBe('');
      expect(local().stats().byModel).toEqual({ [GLOBAL]: 1, [GEO]: 1 });
    });

    it('fails clearly when every call is throttled 30% of the time, and bills only what was answered', async () => {
      local().configure({ faults: { throttleRate: 0.3, models: null } });
      const before = await costs('acme-key-0123456789');
      const answers = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) => acme.send(ask(`Everything is busy ${i}`))),
      );
      for (const a of answers)
        if (a.status === 'rejected') expect((a.reason as Error).name).toBe('ThrottlingException');
      const answered = answers.filter((a) => a.status === 'fulfilled').length;
      const stats = local().stats();
      expect(stats.calls - stats.faults).toBe(answered);
      expect((await costs('acme-key-0123456789')).total.calls - before.total.calls).toBe(answered);
    });
  });
});

describe('circuit breakers shared by two gateways through Redis', () => {
  let redis: TestRedis;
  let a: Gateway;
  let b: Gateway;
  const HEADERS = { 'x-api-key': 'demo-key', 'content-type': 'application/json' };
  const converse = (gateway: Gateway, text: string) =>
    fetch(`${gateway.url}/model/${encodeURIComponent(SONNET)}/converse`, {
      method: 'POST',
      headers: HEADERS,
      body: JSON.stringify({ messages: [{ role: 'user', content: [{ text }] }], inferenceConfig: { maxTokens: 50 } }),
    });

  beforeAll(async () => {
    redis = await startTestRedis();
    const config = {
      ...loadConfig({ REDIS_URL: redis.url }),
      policy: {
        inferenceProfiles: [{ dataResidency: 'global' as const }],
        fallbacks: [{}],
        circuitBreaker: { failureThreshold: 3 },
      },
      port: 0,
    };
    a = await startGateway(config, { logger: createLogger('silent'), emfIntervalMs: 0 });
    b = await startGateway(config, { logger: createLogger('silent'), emfIntervalMs: 0 });
    // Each has its own local endpoint: both throttle every call to Sonnet's global profile.
    for (const g of [a, b]) g.localBedrock!.configure({ faults: { throttleRate: 1, models: [GLOBAL] } });
  });
  afterAll(async () => {
    await a?.shutdown();
    await b?.shutdown();
    await redis?.close();
  });

  it('skips a target one gateway found failing in the other too, without failing there first', async () => {
    // The Redis clients connect in the background: /costs answers once the shared ledger does.
    for (const g of [a, b]) {
      await expect
        .poll(async () => (await fetch(`${g.url}/costs`, { headers: HEADERS })).status, { timeout: 60_000 })
        .toBe(200);
    }
    // A's calls are throttled by the global profile (and answered by the geo one) until A opens its circuit.
    for (let n = 0; n < 20 && (a.localBedrock!.stats().byModel[GLOBAL] ?? 0) === n; n++) {
      expect((await converse(a, `question ${n}`)).status).toBe(200);
    }
    const opened = a.localBedrock!.stats().byModel[GLOBAL] ?? 0;
    expect(opened).toBeGreaterThanOrEqual(3);
    expect(opened).toBeLessThan(20);
    // B never saw the global profile fail, yet skips it: the circuit is the fleet's.
    const answer = await converse(b, 'a question for the other gateway');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-nova-cost-model')).toBe(GEO);
    expect(b.localBedrock!.stats().byModel).toEqual({ [GEO]: 1 });
  });
});
