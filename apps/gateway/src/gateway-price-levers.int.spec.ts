import {
  BedrockRuntimeClient,
  ConverseCommand,
  InvokeModelCommand,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config/load-config';
import type { Gateway } from './gateway';
import { startGateway } from './gateway';
import { createLogger } from './observability/logger';

const NOVA = 'amazon.nova-lite-v1:0';
const CLAUDE = 'anthropic.claude-3-haiku-20240307-v1:0';

const document = {
  tenants: [
    { id: 'acme', apiKeys: ['acme-key-0123456789'], sigv4: { accessKeyId: 'ACME', secret: 'acme-secret' } },
    { id: 'strict', apiKeys: ['strict-key-0123456789'], sigv4: { accessKeyId: 'STRICT', secret: 'strict-secret' } },
    { id: 'thrifty', apiKeys: ['thrifty-key-0123456789'], sigv4: { accessKeyId: 'THRIFTY', secret: 'thrifty-secret' } },
    { id: 'agents', apiKeys: ['agents-key-0123456789'], sigv4: { accessKeyId: 'AGENTS', secret: 'agents-secret' } },
  ],
  policy: {
    cachePoints: [{ match: { tenants: ['agents'] }, insert: 'guarded' }],
    serviceTiers: [
      { match: { tenants: ['thrifty'] }, tier: 'flex' },
      { match: { lanes: ['deferrable'] }, tier: 'flex' },
    ],
    outputCaps: [
      { match: { tenants: ['strict'] }, maxTokens: 100, onExceeded: 'refuse' },
      { defaultMaxTokens: 120, maxTokens: 400 },
    ],
  },
};

/** A client that keeps the x-nova-cost-* headers of its last answer (in `lastHeaders`). */
function sdk(endpoint: string, accessKeyId: string, secretAccessKey: string) {
  const client = new BedrockRuntimeClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId, secretAccessKey },
    maxAttempts: 1,
  });
  client.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      lastHeaders = (out.response as { headers: Record<string, string> }).headers;
      return out;
    },
    { step: 'deserialize', name: 'keepHeaders' },
  );
  return client;
}
let lastHeaders: Record<string, string> = {};

const messages = [{ role: 'user' as const, content: [{ text: 'Write a long essay about ledgers.' }] }];

describe("Bedrock's price levers through the gateway", () => {
  let gateway: Gateway;
  let acme: BedrockRuntimeClient;
  let strict: BedrockRuntimeClient;
  let thrifty: BedrockRuntimeClient;
  let agents: BedrockRuntimeClient;
  const lastBody = () => gateway.localBedrock!.stats().lastCall!.body as Record<string, unknown>;

  beforeAll(async () => {
    const config = loadConfig({ NOVA_COST_CONFIG_JSON: JSON.stringify(document) });
    gateway = await startGateway({ ...config, port: 0 }, { logger: createLogger('silent'), emfIntervalMs: 0 });
    acme = sdk(gateway.url, 'ACME', 'acme-secret');
    strict = sdk(gateway.url, 'STRICT', 'strict-secret');
    thrifty = sdk(gateway.url, 'THRIFTY', 'thrifty-secret');
    agents = sdk(gateway.url, 'AGENTS', 'agents-secret');
  });
  afterAll(() => gateway.shutdown());
  beforeEach(() => gateway.localBedrock!.reset());

  describe('output caps', () => {
    it('sends the default maxTokens with a Converse request that sets none', async () => {
      const answer = await acme.send(new ConverseCommand({ modelId: NOVA, messages }));
      expect(lastBody()['inferenceConfig']).toEqual({ maxTokens: 120 });
      expect(answer.usage?.outputTokens).toBeLessThanOrEqual(120);
    });

    it('clamps an InvokeModel cap above the ceiling in the field the model family reads', async () => {
      await acme.send(
        new InvokeModelCommand({
          modelId: CLAUDE,
          contentType: 'application/json',
          body: JSON.stringify({
            anthropic_version: 'bedrock-2023-05-31',
            max_tokens: 50_000,
            messages: [{ role: 'user', content: 'Write a long essay about ledgers.' }],
          }),
        }),
      );
      expect(lastBody()['max_tokens']).toBe(400);
    });

    it('refuses a cap above the ceiling with a ValidationException naming it, without calling Bedrock', async () => {
      const err = await strict
        .send(new ConverseCommand({ modelId: NOVA, messages, inferenceConfig: { maxTokens: 5_000 } }))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationException);
      expect((err as ValidationException).message).toContain('inferenceConfig.maxTokens 5000 is above 100');
      expect(gateway.localBedrock!.stats().calls).toBe(0);
    });
  });

  describe('service tiers', () => {
    const costs = async (key: string) =>
      (await (await fetch(`${gateway.url}/costs`, { headers: { 'x-api-key': key } })).json()) as {
        byStrategy: { key: string; savedUsd: number }[];
      };

    it("sends a named tenant's calls in flex, bills the tier Bedrock echoed, and shows the saving in /costs", async () => {
      const ask = () => new ConverseCommand({ modelId: NOVA, messages, inferenceConfig: { maxTokens: 50 } });
      const standard = await acme.send(ask());
      const standardUsd = Number(lastHeaders['x-nova-cost-usd']);
      const flex = await thrifty.send(ask());
      expect(gateway.localBedrock!.stats().serviceTiers).toEqual({ flex: 1 });
      expect(flex.serviceTier).toEqual({ type: 'flex' });
      expect(flex.usage).toEqual(standard.usage);
      expect(Number(lastHeaders['x-nova-cost-usd'])).toBeCloseTo(standardUsd / 2, 6);
      const saved = (await costs('thrifty-key-0123456789')).byStrategy.find((g) => g.key === 'service-tier');
      expect(saved?.savedUsd).toBeCloseTo(standardUsd / 2, 6);
    });

    it('learns once that a model refuses the tier, answers every call in the default tier and bills it so', async () => {
      const ask = () =>
        new InvokeModelCommand({
          modelId: CLAUDE,
          contentType: 'application/json',
          body: JSON.stringify({
            anthropic_version: 'bedrock-2023-05-31',
            max_tokens: 40,
            messages: [{ role: 'user', content: 'Tiers?' }],
          }),
        });
      await acme.send(ask());
      const standardUsd = Number(lastHeaders['x-nova-cost-usd']);
      gateway.localBedrock!.reset();
      for (let i = 0; i < 3; i++) {
        await thrifty.send(ask());
        expect(Number(lastHeaders['x-nova-cost-usd'])).toBeCloseTo(standardUsd, 9);
      }
      // One refused attempt, then three calls without the tier.
      expect(gateway.localBedrock!.stats()).toMatchObject({ calls: 4, serviceTiers: {} });
    });
  });

  describe('prompt-cache points', () => {
    const SONNET = 'global.anthropic.claude-sonnet-4-5-20250929-v1:0';
    const system = 'You are the agent that reconciles the ledger of a large company, step by step. '.repeat(90);
    const ask = (question: string) =>
      new ConverseCommand({
        modelId: SONNET,
        system: [{ text: system }],
        messages: [{ role: 'user', content: [{ text: question }] }],
        inferenceConfig: { maxTokens: 40 },
      });

    it('inserts a point once the prefix recurs, reads it after, answers as without, and /costs shows the saving', async () => {
      const direct = new BedrockRuntimeClient({
        endpoint: gateway.localBedrock!.url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      });
      const first = await agents.send(ask('Which accounts changed?'));
      expect(first.usage?.cacheWriteInputTokens ?? 0).toBe(0);
      const second = await agents.send(ask('Which invoices are open?'));
      expect(gateway.localBedrock!.stats().lastCall?.body).toMatchObject({
        system: [{ text: system }, { cachePoint: { type: 'default' } }],
      });
      expect(second.usage?.cacheWriteInputTokens).toBeGreaterThan(1000);
      const third = await agents.send(ask('What is the balance?'));
      expect(third.usage?.cacheReadInputTokens).toBe(second.usage?.cacheWriteInputTokens);
      expect(third.output).toEqual((await direct.send(ask('What is the balance?'))).output);
      const { byStrategy } = (await (
        await fetch(`${gateway.url}/costs`, { headers: { 'x-api-key': 'agents-key-0123456789' } })
      ).json()) as { byStrategy: { key: string; savedUsd: number }[] };
      // The write's premium (0.25x) is paid back by one read (0.9x saved).
      expect(byStrategy.find((g) => g.key === 'prompt-cache')?.savedUsd).toBeGreaterThan(0);
    });

    it('answers a call whose placement the model refuses, without the point, learning it once', async () => {
      gateway.localBedrock!.configure({ promptCaching: { refuse: [{ sections: ['system'] }] } });
      try {
        const OPUS = 'us.anthropic.claude-opus-4-1-20250805-v1:0';
        const question = (q: string) => new ConverseCommand({ ...ask(q).input, modelId: OPUS });
        gateway.localBedrock!.reset();
        for (const q of ['One?', 'Two?', 'Three?', 'Four?']) {
          const answer = await agents.send(question(q));
          expect(answer.usage?.cacheWriteInputTokens ?? 0).toBe(0);
        }
        // One refused attempt (at the first call the guard placed a point), then every call without points.
        expect(gateway.localBedrock!.stats().calls).toBe(5);
      } finally {
        gateway.localBedrock!.configure({ promptCaching: { refuse: null } });
      }
    });
  });
});
