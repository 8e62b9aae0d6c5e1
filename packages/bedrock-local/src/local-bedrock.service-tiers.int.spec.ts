import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalBedrock } from './start-local-bedrock';
import { startLocalBedrock } from './start-local-bedrock';

const NOVA = 'amazon.nova-lite-v1:0';
const CLAUDE = 'anthropic.claude-3-haiku-20240307-v1:0';
const messages = [{ role: 'user' as const, content: [{ text: 'hello there' }] }];

let bedrock: LocalBedrock;
let client: BedrockRuntimeClient;

beforeAll(async () => {
  bedrock = await startLocalBedrock();
  client = new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: bedrock.url,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    maxAttempts: 1,
  });
});
afterAll(() => bedrock.close());
beforeEach(() => {
  bedrock.reset();
  bedrock.configure({ serviceTiers: { byModel: null } });
});

const novaInvoke = (serviceTier?: 'flex' | 'priority' | 'reserved') =>
  new InvokeModelCommand({
    modelId: NOVA,
    contentType: 'application/json',
    body: JSON.stringify({ messages }),
    ...(serviceTier ? { serviceTier } : {}),
  });

describe('local Bedrock service tiers', () => {
  it('serves a Converse call in the tier it names and echoes it, as the SDK reads it', async () => {
    const answer = await client.send(new ConverseCommand({ modelId: NOVA, messages, serviceTier: { type: 'flex' } }));
    expect(answer.serviceTier).toEqual({ type: 'flex' });
    expect(bedrock.stats().serviceTiers).toEqual({ flex: 1 });
  });

  it("echoes InvokeModel's tier in X-Amzn-Bedrock-Service-Tier", async () => {
    const answer = await client.send(novaInvoke('priority'));
    expect(answer.serviceTier).toBe('priority');
  });

  it("echoes ConverseStream's tier in the metadata event", async () => {
    const answer = await client.send(
      new ConverseStreamCommand({ modelId: NOVA, messages, serviceTier: { type: 'flex' } }),
    );
    let tier: unknown;
    for await (const event of answer.stream ?? []) if (event.metadata) tier = event.metadata.serviceTier;
    expect(tier).toEqual({ type: 'flex' });
  });

  it('says nothing of a tier when the call names none', async () => {
    const answer = await client.send(new ConverseCommand({ modelId: NOVA, messages }));
    expect(answer.serviceTier).toBeUndefined();
    expect((await client.send(novaInvoke())).serviceTier).toBeUndefined();
  });

  it('refuses a tier the model does not serve with a ValidationException, as Bedrock does (Claude: no flex)', async () => {
    const err = await client
      .send(new ConverseCommand({ modelId: CLAUDE, messages, serviceTier: { type: 'flex' } }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationException);
    expect((err as Error).message).toContain('service tier');
  });

  it('refuses reserved without a reservation', async () => {
    const err = await client.send(novaInvoke('reserved')).catch((e: unknown) => e);
    expect((err as Error).message).toBe('Reservation not found.');
  });

  it('can be told a model serves no tier but the default (configure serviceTiers.byModel)', async () => {
    bedrock.configure({ serviceTiers: { byModel: { [NOVA]: [] } } });
    await expect(client.send(novaInvoke('flex'))).rejects.toBeInstanceOf(ValidationException);
    bedrock.configure({ serviceTiers: { byModel: { [NOVA]: ['flex'] } } });
    expect((await client.send(novaInvoke('flex'))).serviceTier).toBe('flex');
  });

  it('refuses a malformed serviceTiers option as configuration', () => {
    expect(() => bedrock.configure({ serviceTiers: { byModel: { [NOVA]: ['cheap'] } } })).toThrow(
      /serviceTiers.byModel\["amazon.nova-lite-v1:0"\] must be an array of priority, default, flex, reserved/,
    );
  });
});
