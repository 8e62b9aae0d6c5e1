import { createAmazonBedrock } from '@ai-sdk/amazon-bedrock';
import { ChatBedrockConverse } from '@langchain/aws';
import { streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config/load-config';
import type { Gateway } from './gateway';
import { startGateway } from './gateway';
import { createLogger } from './observability/logger';

const MODEL = 'amazon.nova-lite-v1:0';
const DEMO = { accessKeyId: 'demo', secretAccessKey: 'demo-secret' };

/** Streaming clients nobody on this project wrote, pointed at the gateway in demo mode. */
describe('streaming through the gateway with real clients (demo mode)', () => {
  let gateway: Gateway;
  const savedEnv = process.env['AWS_ENDPOINT_URL_BEDROCK_RUNTIME'];

  beforeAll(async () => {
    gateway = await startGateway({ ...loadConfig({}), port: 0 }, { logger: createLogger('silent'), emfIntervalMs: 0 });
    // LangChain's client is the AWS SDK, pointed at the gateway the way a user points it.
    process.env['AWS_ENDPOINT_URL_BEDROCK_RUNTIME'] = gateway.url;
  });
  afterAll(async () => {
    if (savedEnv === undefined) delete process.env['AWS_ENDPOINT_URL_BEDROCK_RUNTIME'];
    else process.env['AWS_ENDPOINT_URL_BEDROCK_RUNTIME'] = savedEnv;
    await gateway.shutdown();
  });

  it("streams the Vercel AI SDK's streamText whole, and answers the same call again from the cache", async () => {
    const bedrock = createAmazonBedrock({ baseURL: gateway.url, region: 'us-east-1', ...DEMO });
    const ask = async () => {
      const result = streamText({
        model: bedrock(MODEL),
        prompt: 'Stream three ways to spend less on Bedrock.',
        temperature: 0,
        maxOutputTokens: 300,
        maxRetries: 0,
      });
      let text = '';
      for await (const delta of result.textStream) text += delta;
      return { text, cache: (await result.response).headers?.['x-nova-cost-cache'], usage: await result.usage };
    };
    const before = gateway.localBedrock!.stats().calls;
    const first = await ask();
    const second = await ask();
    expect(first.text.length).toBeGreaterThan(20);
    expect([first.cache, second.cache]).toEqual(['miss', 'hit']);
    expect(second.text).toBe(first.text);
    expect(second.usage.outputTokens).toBe(first.usage.outputTokens);
    expect(gateway.localBedrock!.stats().calls - before).toBe(1);
  });

  it("streams LangChain's ChatBedrockConverse.stream() whole, and answers the same call again from the cache", async () => {
    const chat = new ChatBedrockConverse({
      model: MODEL,
      region: 'us-east-1',
      credentials: DEMO,
      temperature: 0,
      maxRetries: 0,
    });
    const ask = async () => {
      let text = '';
      for await (const chunk of await chat.stream('What does a response cache save, streamed?'))
        text += typeof chunk.content === 'string' ? chunk.content : '';
      return text;
    };
    const before = gateway.localBedrock!.stats().calls;
    const first = await ask();
    const second = await ask();
    expect(first.length).toBeGreaterThan(20);
    expect(second).toBe(first);
    expect(gateway.localBedrock!.stats().calls - before).toBe(1);
  });
});
