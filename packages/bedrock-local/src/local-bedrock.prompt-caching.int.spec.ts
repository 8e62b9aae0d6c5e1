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

const SONNET = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
const SYSTEM = 'You are the cost analyst of a large company. '.repeat(120); // ~1,350 tokens

let now = Date.parse('2026-11-29T10:00:00Z');
let bedrock: LocalBedrock;
let client: BedrockRuntimeClient;

beforeAll(async () => {
  bedrock = await startLocalBedrock({ clock: () => now });
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
  bedrock.configure({ promptCaching: { refuse: null } });
});

const converse = (ttl?: '5m' | '1h') =>
  new ConverseCommand({
    modelId: SONNET,
    system: [{ text: SYSTEM }, { cachePoint: { type: 'default', ...(ttl ? { ttl } : {}) } }],
    messages: [{ role: 'user', content: [{ text: 'What did we spend?' }] }],
  });

describe('local Bedrock prompt caching, as the SDK reads it', () => {
  it('reports Converse writes per TTL in usage.cacheDetails, then reads; the answer is the same as without the point', async () => {
    const first = await client.send(converse('1h'));
    expect(first.usage?.cacheWriteInputTokens).toBeGreaterThan(1000);
    expect(first.usage?.cacheDetails).toEqual([{ ttl: '1h', inputTokens: first.usage?.cacheWriteInputTokens }]);
    now += 30 * 60_000;
    const second = await client.send(converse('1h'));
    expect(second.usage?.cacheReadInputTokens).toBe(first.usage?.cacheWriteInputTokens);
    expect(second.usage?.cacheDetails).toBeUndefined();
    const plain = await client.send(
      new ConverseCommand({
        modelId: SONNET,
        system: [{ text: SYSTEM }],
        messages: [{ role: 'user', content: [{ text: 'What did we spend?' }] }],
      }),
    );
    expect(plain.output).toEqual(first.output);
    expect(plain.usage?.inputTokens).toBe((first.usage?.inputTokens ?? 0) + (first.usage?.cacheWriteInputTokens ?? 0));
  });

  it('carries cacheDetails in the ConverseStream metadata event', async () => {
    const answer = await client.send(
      new ConverseStreamCommand({
        modelId: SONNET,
        system: [{ text: SYSTEM }, { cachePoint: { type: 'default' } }],
        messages: [{ role: 'user', content: [{ text: 'Stream it' }] }],
      }),
    );
    let usage: unknown;
    for await (const event of answer.stream ?? []) if (event.metadata) usage = event.metadata.usage;
    expect(usage).toMatchObject({ cacheDetails: [{ ttl: '5m' }] });
  });

  it("reports Anthropic's cache_creation split in an InvokeModel body with cache_control", async () => {
    const answer = await client.send(
      new InvokeModelCommand({
        modelId: SONNET,
        contentType: 'application/json',
        body: JSON.stringify({
          anthropic_version: 'bedrock-2023-05-31',
          max_tokens: 50,
          system: [{ type: 'text', text: SYSTEM, cache_control: { type: 'ephemeral', ttl: '1h' } }],
          messages: [{ role: 'user', content: 'Hi' }],
        }),
      }),
    );
    const usage = JSON.parse(new TextDecoder().decode(answer.body)).usage;
    expect(usage.cache_creation.ephemeral_1h_input_tokens).toBe(usage.cache_creation_input_tokens);
    expect(usage.cache_creation.ephemeral_5m_input_tokens).toBe(0);
  });

  it('refuses a placement it is told to refuse, over HTTP too (POST /__config)', async () => {
    const configured = await fetch(`${bedrock.url}/__config`, {
      method: 'POST',
      body: JSON.stringify({ promptCaching: { refuse: [{ sections: ['system'] }] } }),
    });
    expect(configured.status).toBe(200);
    const err = await client.send(converse()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationException);
    expect((err as Error).message).toContain('cachePoint');
  });
});
