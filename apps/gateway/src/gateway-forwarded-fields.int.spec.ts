import type { ServiceTierType } from '@aws-sdk/client-bedrock-runtime';
import { BedrockRuntimeClient, ConverseCommand, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config/load-config';
import type { Gateway } from './gateway';
import { startGateway } from './gateway';
import { createLogger } from './observability/logger';
import { onAnswerHeaders } from './testing/sdk-probes';

const MODEL = 'amazon.nova-lite-v1:0';
const credentials = { accessKeyId: 'demo', secretAccessKey: 'demo-secret' };

/** A client on `endpoint` that keeps the x-nova-cost-* headers of its last answer. */
function client(endpoint: string): { sdk: BedrockRuntimeClient; last: () => Record<string, string> } {
  const sdk = new BedrockRuntimeClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  let last: Record<string, string> = {};
  onAnswerHeaders(sdk, (headers) => (last = headers));
  return { sdk, last: () => last };
}

const invoke = (text: string, extra: Partial<ConstructorParameters<typeof InvokeModelCommand>[0]> = {}) =>
  new InvokeModelCommand({
    modelId: MODEL,
    contentType: 'application/json',
    accept: 'application/json',
    body: JSON.stringify({
      messages: [{ role: 'user', content: [{ text }] }],
      inferenceConfig: { temperature: 0, max_new_tokens: 50 },
    }),
    ...extra,
  });

const converse = (text: string, extra: Record<string, unknown> = {}, temperature = 0) =>
  new ConverseCommand({
    modelId: MODEL,
    messages: [{ role: 'user', content: [{ text }] }],
    inferenceConfig: { temperature, maxTokens: 50 },
    ...extra,
  });

describe('what Bedrock reads, forwarded through the gateway', () => {
  let gateway: Gateway;
  let direct: ReturnType<typeof client>;
  let through: ReturnType<typeof client>;
  const lastCall = () => gateway.localBedrock!.stats().lastCall!;

  beforeAll(async () => {
    gateway = await startGateway({ ...loadConfig({}), port: 0 }, { logger: createLogger('silent'), emfIntervalMs: 0 });
    direct = client(gateway.localBedrock!.url);
    through = client(gateway.url);
  });
  afterAll(() => gateway.shutdown());

  it("forwards InvokeModel's service tier, latency, guardrail, trace and request metadata headers as the SDK sends them", async () => {
    const parameters = {
      serviceTier: 'flex' as ServiceTierType,
      performanceConfigLatency: 'optimized' as const,
      guardrailIdentifier: 'gr-abc123',
      guardrailVersion: '2',
      trace: 'ENABLED' as const,
      requestMetadata: JSON.stringify({ team: 'search', job: 'nightly' }),
    };
    await direct.sdk.send(invoke('headers', parameters));
    const sent = lastCall().bedrockHeaders;
    expect(Object.keys(sent).length).toBeGreaterThanOrEqual(6);
    await through.sdk.send(invoke('headers', parameters));
    expect(lastCall().bedrockHeaders).toEqual(sent);
  });

  it("forwards Converse's serviceTier, performanceConfig, requestMetadata, guardrailConfig and additionalModelRequestFields", async () => {
    const fields = {
      serviceTier: { type: 'priority' },
      performanceConfig: { latency: 'optimized' },
      requestMetadata: { team: 'search' },
      guardrailConfig: { guardrailIdentifier: 'gr-abc123', guardrailVersion: '2', trace: 'enabled' },
      additionalModelRequestFields: { inferenceConfig: { topK: 20 } },
    };
    await direct.sdk.send(converse('fields', fields, 0.5));
    const sent = lastCall().body;
    expect(sent).toMatchObject(fields);
    await through.sdk.send(converse('fields', fields, 0.5));
    expect(lastCall().body).toEqual(sent);
  });

  it('prices a call in the priority and flex tiers at their multiple of the standard price', async () => {
    const cost = async (serviceTier?: string) => {
      await through.sdk.send(converse('tiered', serviceTier ? { serviceTier: { type: serviceTier } } : {}, 0.9));
      return Number(through.last()['x-nova-cost-usd']);
    };
    const standard = await cost();
    expect(await cost('priority')).toBeCloseTo(standard * 1.75, 8);
    expect(await cost('flex')).toBeCloseTo(standard * 0.5, 8);
  });

  it('keys a request by its guardrail and latency parameters, but not by its service tier or metadata', async () => {
    await through.sdk.send(invoke('keyed', { guardrailIdentifier: 'gr-1', guardrailVersion: '1' }));
    await through.sdk.send(invoke('keyed', { guardrailIdentifier: 'gr-1', guardrailVersion: '2' }));
    expect(through.last()['x-nova-cost-cache']).toBe('miss');
    await through.sdk.send(
      invoke('keyed', {
        guardrailIdentifier: 'gr-1',
        guardrailVersion: '2',
        serviceTier: 'priority',
        requestMetadata: JSON.stringify({ a: 'b' }),
      }),
    );
    expect(through.last()['x-nova-cost-cache']).toBe('hit');
    await through.sdk.send(converse('tier keyed', { serviceTier: { type: 'priority' } }));
    await through.sdk.send(converse('tier keyed', { serviceTier: { type: 'flex' } }));
    expect(through.last()['x-nova-cost-cache']).toBe('hit');
  });
});
