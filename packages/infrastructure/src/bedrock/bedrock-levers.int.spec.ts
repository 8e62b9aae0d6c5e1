import type { LocalBedrock } from '@nova-cost/bedrock-local';
import { startLocalBedrock } from '@nova-cost/bedrock-local';
import type { InvocationRequest, ModelStreamEvent } from '@nova-cost/domain';
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
  bedrock.configure({ serviceTiers: { byModel: null } });
  // A fresh invoker: nothing learnt yet.
  invoker?.destroy();
  invoker = new BedrockModelInvoker({
    region: 'us-east-1',
    endpoint: bedrock.url,
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
  });
});

const converse = (over: Partial<InvocationRequest> = {}): InvocationRequest => ({
  tenantId: 't1',
  modelId: NOVA,
  operation: 'converse',
  body: { messages },
  serviceTier: 'flex',
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
      .invoke(converse({ modelId: CLAUDE, body: { messages, serviceTier: { type: 'flex' } }, serviceTier: undefined }))
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
