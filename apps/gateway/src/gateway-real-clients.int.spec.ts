import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createAmazonBedrock } from '@ai-sdk/amazon-bedrock';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { BedrockEmbeddings, ChatBedrockConverse } from '@langchain/aws';
import { generateObject, generateText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from './config/load-config';
import type { Gateway } from './gateway';
import { startGateway } from './gateway';
import { createLogger } from './observability/logger';

const run = promisify(execFile);
const MODEL = 'amazon.nova-lite-v1:0';
const DEMO = { accessKeyId: 'demo', secretAccessKey: 'demo-secret' };

/**
 * Clients nobody on this project wrote, as a new user would point them at the gateway in demo mode: the Vercel AI
 * SDK's Bedrock provider (aws4fetch SigV4, or an API key as Bearer), LangChain's @langchain/aws (the AWS SDK
 * underneath, pointed by AWS_ENDPOINT_URL_BEDROCK_RUNTIME), the AWS SDK itself, and curl --aws-sigv4.
 */
describe('the gateway with real Bedrock clients (demo mode)', () => {
  let gateway: Gateway;
  const savedEnv = process.env['AWS_ENDPOINT_URL_BEDROCK_RUNTIME'];

  beforeAll(async () => {
    gateway = await startGateway({ ...loadConfig({}), port: 0 }, { logger: createLogger('silent'), emfIntervalMs: 0 });
    process.env['AWS_ENDPOINT_URL_BEDROCK_RUNTIME'] = gateway.url;
  });
  afterAll(async () => {
    if (savedEnv === undefined) delete process.env['AWS_ENDPOINT_URL_BEDROCK_RUNTIME'];
    else process.env['AWS_ENDPOINT_URL_BEDROCK_RUNTIME'] = savedEnv;
    await gateway.shutdown();
  });

  describe('Vercel AI SDK (@ai-sdk/amazon-bedrock)', () => {
    const sigv4 = () => createAmazonBedrock({ baseURL: gateway.url, region: 'us-east-1', ...DEMO });

    it('answers 5 concurrent identical generateText calls signed with SigV4: one miss, the rest coalesced or hits', async () => {
      const before = gateway.localBedrock!.stats().calls;
      const bedrock = sigv4();
      const results = await Promise.all(
        Array.from({ length: 5 }, () =>
          generateText({
            model: bedrock(MODEL),
            prompt: 'Name three ways to spend less on Bedrock.',
            temperature: 0,
            maxOutputTokens: 300,
            maxRetries: 0,
          }),
        ),
      );
      const outcomes = results.map((r) => r.response.headers?.['x-nova-cost-cache']).sort();
      expect(outcomes.filter((o) => o === 'miss')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'coalesced' || o === 'hit')).toHaveLength(4);
      expect(new Set(results.map((r) => r.text)).size).toBe(1);
      expect(gateway.localBedrock!.stats().calls - before).toBe(1);
    });

    it('authenticates with an API key sent as Bearer (the apiKey option)', async () => {
      const bedrock = createAmazonBedrock({ baseURL: gateway.url, region: 'us-east-1', apiKey: 'demo-key' });
      const { text } = await generateText({ model: bedrock(MODEL), prompt: 'Hello with an API key', maxRetries: 0 });
      expect(text.length).toBeGreaterThan(0);
    });

    it('fills a schema with generateObject (a forced tool call answered by the local endpoint)', async () => {
      // The provider strips what Bedrock's tool schemas do not take (integer bounds, lengths) before sending.
      const schema = z.object({
        title: z.string(),
        tags: z.array(z.string()),
        priority: z.enum(['low', 'medium', 'high']),
        urgent: z.boolean(),
        estimateHours: z.number(),
      });
      const { object } = await generateObject({
        model: sigv4()(MODEL),
        schema,
        prompt: 'File a ticket about a slow cache.',
        temperature: 0,
        maxRetries: 0,
      });
      expect(schema.parse(object)).toEqual(object);
    });
  });

  describe('LangChain (@langchain/aws)', () => {
    const chat = () =>
      new ChatBedrockConverse({ model: MODEL, region: 'us-east-1', credentials: DEMO, temperature: 0, maxRetries: 0 });

    it('answers invoke()', async () => {
      const message = await chat().invoke('What does a response cache save?');
      expect(typeof message.content === 'string' ? message.content : JSON.stringify(message.content)).toMatch(/\w+/);
    });

    it('fills a schema with withStructuredOutput() (LangChain forces the tool on Claude)', async () => {
      const schema = z.object({ city: z.string(), population: z.number().int().min(0), coastal: z.boolean() });
      const claude = new ChatBedrockConverse({
        model: 'anthropic.claude-haiku-4-5-20251001-v1:0',
        region: 'us-east-1',
        credentials: DEMO,
        temperature: 0,
        maxRetries: 0,
      });
      const answer = await claude.withStructuredOutput(schema).invoke('Describe a city as structured data.');
      expect(schema.parse(answer)).toEqual(answer);
    });

    it('embeds with BedrockEmbeddings and its default model (amazon.titan-embed-text-v1)', async () => {
      const embeddings = new BedrockEmbeddings({ region: 'us-east-1', credentials: DEMO });
      const vector = await embeddings.embedQuery('cheaper inference');
      expect(vector).toHaveLength(1536);
      expect(await embeddings.embedQuery('cheaper inference')).toEqual(vector);
    });
  });

  it('serves the AWS SDK pointed at the gateway by AWS_ENDPOINT_URL_BEDROCK_RUNTIME alone', async () => {
    const client = new BedrockRuntimeClient({ region: 'us-east-1', credentials: DEMO, maxAttempts: 1 });
    const out = await client.send(
      new ConverseCommand({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'Hi from the SDK' }] }] }),
    );
    expect(out.output?.message?.role).toBe('assistant');
    client.destroy();
  });

  it("answers the README's curl --aws-sigv4 example sent twice back to back", async () => {
    const body = JSON.stringify({
      messages: [{ role: 'user', content: [{ text: 'Hello' }] }],
      inferenceConfig: { temperature: 0, maxTokens: 200 },
    });
    const curl = () =>
      run('curl', [
        '-s',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        '--aws-sigv4',
        'aws:amz:us-east-1:bedrock',
        '--user',
        'demo:demo-secret',
        `${gateway.url}/model/${MODEL}/converse`,
        '-H',
        'content-type: application/json',
        '-d',
        body,
      ]);
    expect((await curl()).stdout).toBe('200');
    expect((await curl()).stdout).toBe('200');
  });
});
