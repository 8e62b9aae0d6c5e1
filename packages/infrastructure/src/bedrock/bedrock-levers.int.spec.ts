import type { LocalBedrock } from '@nova-cost/bedrock-local';
import { startLocalBedrock } from '@nova-cost/bedrock-local';
import type { ModelStreamEvent, PlannedInvocation } from '@nova-cost/domain';
import type { PlannedCallFields } from '@nova-cost/testing';
import { plannedCall } from '@nova-cost/testing';
import { NovaCostError } from '@nova-cost/domain';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BedrockModelInvoker } from './bedrock-model-invoker';

const NOVA = 'amazon.nova-lite-v1:0';
const CLAUDE = 'anthropic.claude-3-haiku-20240307-v1:0';
const messages = [{ role: 'user', content: [{ text: 'Summarise the ledger' }] }];

let bedrock: LocalBedrock;
let invoker: BedrockModelInvoker;

beforeAll(async () => {
  bedrock = await startLocalBedrock();
});
afterAll(() => bedrock.close());
beforeEach(() => {
  bedrock.reset();
  bedrock.configure({ serviceTiers: { byModel: null }, promptCaching: { refuse: null } });
  // A fresh invoker: nothing learnt yet.
  invoker?.destroy();
  invoker = new BedrockModelInvoker({
    region: 'us-east-1',
    endpoint: bedrock.url,
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
  });
});

const converse = (over: PlannedCallFields = {}): PlannedInvocation =>
  plannedCall({
    tenantId: 't1',
    modelId: NOVA,
    operation: 'converse',
    body: { messages },
    tier: { name: 'flex', by: 'policy' },
    ...over,
  });

describe('BedrockModelInvoker carrying out the planned service tier', () => {
  it('sends Converse calls in the planned tier and reports the tier Bedrock echoed', async () => {
    const result = await invoker.invoke(converse());
    expect(bedrock.stats().lastCall?.body).toMatchObject({ serviceTier: { type: 'flex' } });
    expect(result.serviceTier).toBe('flex');
  });

  it("sends InvokeModel calls' tier in the X-Amzn-Bedrock-Service-Tier header", async () => {
    const result = await invoker.invoke(converse({ operation: 'invoke', body: { messages } }));
    expect(bedrock.stats().lastCall?.bedrockHeaders['x-amzn-bedrock-service-tier']).toBe('flex');
    expect(result.serviceTier).toBe('flex');
  });

  it('sends a refused tier once, answers in the default tier, and never sends it again for that model', async () => {
    const claude = converse({ modelId: CLAUDE });
    const first = await invoker.invoke(claude);
    expect(first.serviceTier).toBe('default');
    expect(bedrock.stats()).toMatchObject({ calls: 2, serviceTiers: {} });
    await invoker.invoke(claude);
    expect(bedrock.stats().calls).toBe(3);
    expect(bedrock.stats().lastCall?.body).not.toHaveProperty('serviceTier');
    // Another model keeps its tier.
    expect((await invoker.invoke(converse())).serviceTier).toBe('flex');
  });

  it('learns a refusal on a stream before its first event the same way', async () => {
    bedrock.configure({ serviceTiers: { byModel: { [NOVA]: [] } } });
    const stream = await invoker.stream(converse({ operation: 'converse-stream' }));
    const events: ModelStreamEvent[] = [];
    for await (const event of stream.events) events.push(event);
    expect(events.at(-1)?.type).toBe('metadata');
    expect(bedrock.stats().calls).toBe(2);
    const second = await invoker.stream(converse({ operation: 'converse-stream' }));
    for await (const _event of second.events);
    expect(bedrock.stats().calls).toBe(3);
    expect((await second.report).serviceTier).toBe('default');
  });

  it("never strips the caller's own tier: Bedrock's refusal of it reaches the caller", async () => {
    const err = await invoker
      .invoke(
        converse({
          modelId: CLAUDE,
          body: { messages, serviceTier: { type: 'flex' } },
          tier: { name: 'flex', by: 'caller' },
        }),
      )
      .catch((e: unknown) => e);
    expect(NovaCostError.is(err, 'validation')).toBe(true);
    expect(bedrock.stats().calls).toBe(1);
  });

  it('passes on a refusal that persists without the tier: it was not the tier', async () => {
    const err = await invoker
      .invoke(converse({ body: { messages: [{ role: 'robot', content: [{ text: 'x' }] }] } }))
      .catch((e: unknown) => e);
    expect(NovaCostError.is(err, 'validation')).toBe(true);
    expect((err as Error).message).toContain("role must be 'user' or 'assistant'");
    // The tier is still sent to this model afterwards.
    expect((await invoker.invoke(converse())).serviceTier).toBe('flex');
  });
});

describe('BedrockModelInvoker carrying out the planned cache points', () => {
  const SONNET = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
  const system = 'You keep the books of a large company and answer exactly. '.repeat(120);
  const planned = (over: PlannedCallFields = {}): PlannedInvocation =>
    plannedCall({
      tenantId: 't1',
      modelId: SONNET,
      operation: 'converse',
      body: { system: [{ text: system }], messages },
      cachePoints: [{ section: 'system', index: 0, ttl: '1h' }],
      ...over,
    });

  it('writes them where Bedrock reads them; the usage shows the 1-hour write, then the read', async () => {
    const first = await invoker.invoke(planned());
    expect(bedrock.stats().lastCall?.body).toMatchObject({
      system: [{ text: system }, { cachePoint: { type: 'default', ttl: '1h' } }],
    });
    expect(first.usage.cacheWriteInputTokens).toBeGreaterThan(1000);
    expect(first.usage.cacheWrite1hInputTokens).toBe(first.usage.cacheWriteInputTokens);
    const second = await invoker.invoke(planned());
    expect(second.usage.cacheReadInputTokens).toBe(first.usage.cacheWriteInputTokens);
  });

  it("writes Anthropic's cache_control into an InvokeModel body", async () => {
    const body = {
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 20,
      system,
      messages: [{ role: 'user', content: 'Hi' }],
    };
    const result = await invoker.invoke(planned({ operation: 'invoke', body }));
    expect(bedrock.stats().lastCall?.body).toMatchObject({
      system: [{ type: 'text', text: system, cache_control: { type: 'ephemeral', ttl: '1h' } }],
    });
    expect(result.usage.cacheWrite1hInputTokens).toBeGreaterThan(1000);
  });

  it('retries once without a placement the model refuses, answers the same, and never sends it again', async () => {
    bedrock.configure({ promptCaching: { refuse: [{ models: [SONNET] }] } });
    const plain = await invoker.invoke(planned({ cachePoints: [] }));
    bedrock.reset();
    const refused = await invoker.invoke(planned());
    expect(refused.body).toEqual(plain.body);
    expect(refused.usage).toEqual(plain.usage);
    expect(bedrock.stats().calls).toBe(2);
    await invoker.invoke(planned());
    expect(bedrock.stats().calls).toBe(3);
    expect(bedrock.stats().lastCall?.body).toEqual({ system: [{ text: system }], messages });
  });

  it('drops only the refused lever when the message names it: the tier still goes', async () => {
    bedrock.configure({ promptCaching: { refuse: [{ models: [NOVA] }] } });
    const nova = planned({ modelId: NOVA, tier: { name: 'flex', by: 'policy' } });
    const result = await invoker.invoke(nova);
    expect(result.serviceTier).toBe('flex');
    expect(bedrock.stats().lastCall?.body).toMatchObject({ serviceTier: { type: 'flex' } });
    expect(JSON.stringify(bedrock.stats().lastCall?.body)).not.toContain('cachePoint');
  });
});
