import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import type { LocalBedrock } from '@nova-cost/bedrock-local';
import { startLocalBedrock } from '@nova-cost/bedrock-local';
import { StaticPricingCatalog } from '@nova-cost/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config/load-config';
import type { Gateway } from './gateway';
import { startGateway } from './gateway';
import { createLogger } from './observability/logger';
import { onAnswerHeaders } from './testing/sdk-probes';

const NOVA = 'amazon.nova-lite-v1:0';
const document = {
  tenants: [{ id: 'acme', apiKeys: ['acme-key-0123456789'], sigv4: { accessKeyId: 'ACME', secret: 'acme-secret' } }],
  policy: {},
};

describe('a gateway calling Bedrock in AWS_REGION (aws mode)', () => {
  let bedrock: LocalBedrock;
  let gateway: Gateway;
  const saved = { id: process.env['AWS_ACCESS_KEY_ID'], secret: process.env['AWS_SECRET_ACCESS_KEY'] };

  beforeAll(async () => {
    // The default credential chain, as on a task: the local endpoint checks no signature.
    process.env['AWS_ACCESS_KEY_ID'] = 'local';
    process.env['AWS_SECRET_ACCESS_KEY'] = 'local';
    bedrock = await startLocalBedrock({ host: '127.0.0.1' });
    const config = loadConfig({
      AWS_REGION: 'ap-northeast-1',
      BEDROCK_ENDPOINT: bedrock.url,
      NOVA_COST_CONFIG_JSON: JSON.stringify(document),
    });
    gateway = await startGateway({ ...config, port: 0 }, { logger: createLogger('silent'), emfIntervalMs: 0 });
  });
  afterAll(async () => {
    await gateway?.shutdown();
    await bedrock?.close();
    for (const [name, value] of [
      ['AWS_ACCESS_KEY_ID', saved.id],
      ['AWS_SECRET_ACCESS_KEY', saved.secret],
    ] as const)
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
  });

  it('prices each call in the region it was made in, not the policy default', async () => {
    let headers: Record<string, string> = {};
    const client = onAnswerHeaders(
      new BedrockRuntimeClient({
        endpoint: gateway.url,
        region: 'ap-northeast-1',
        credentials: { accessKeyId: 'ACME', secretAccessKey: 'acme-secret' },
        maxAttempts: 1,
      }),
      (h) => (headers = h),
    );
    const answer = await client.send(
      new ConverseCommand({ modelId: NOVA, messages: [{ role: 'user', content: [{ text: 'Where am I billed?' }] }] }),
    );
    const usage = {
      inputTokens: answer.usage!.inputTokens!,
      outputTokens: answer.usage!.outputTokens!,
      cacheReadInputTokens: 0,
      cacheWriteInputTokens: 0,
    };
    const pricing = new StaticPricingCatalog();
    const tokyo = pricing.cost({ modelId: NOVA, region: 'ap-northeast-1', usage });
    expect(tokyo).not.toBeCloseTo(pricing.cost({ modelId: NOVA, region: 'us-east-1', usage }), 10);
    expect(Number(headers['x-nova-cost-usd'])).toBeCloseTo(tokyo, 8);
    client.destroy();
  });
});
