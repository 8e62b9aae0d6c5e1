import * as Sdk from '@aws-sdk/client-bedrock-runtime';
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config/load-config';
import type { Gateway } from './gateway';
import { startGateway } from './gateway';
import { createLogger } from './observability/logger';

const MODEL = 'amazon.nova-lite-v1:0';

// Every exception the Bedrock runtime SDK models, with the status Bedrock answers it with.
const ERRORS: [name: keyof typeof Sdk & string, status: number][] = [
  ['AccessDeniedException', 403],
  ['ConflictException', 400],
  ['InternalServerException', 500],
  ['ModelErrorException', 424],
  ['ModelNotReadyException', 429],
  ['ModelStreamErrorException', 424],
  ['ModelTimeoutException', 408],
  ['ResourceNotFoundException', 404],
  ['ServiceQuotaExceededException', 400],
  ['ServiceUnavailableException', 503],
  ['ThrottlingException', 429],
  ['ValidationException', 400],
];

describe("Bedrock's errors through the gateway, as the AWS SDK sees them", () => {
  let gateway: Gateway;
  const client = () =>
    new BedrockRuntimeClient({
      endpoint: gateway.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'demo', secretAccessKey: 'demo-secret' },
      maxAttempts: 1,
    });

  beforeAll(async () => {
    gateway = await startGateway({ ...loadConfig({}), port: 0 }, { logger: createLogger('silent'), emfIntervalMs: 0 });
  });
  afterEach(() => gateway.localBedrock!.configure({ faults: { failFirst: 0 } }));
  afterAll(() => gateway.shutdown());

  it.each(ERRORS)('raises %s (HTTP %i) with the message Bedrock sent', async (name, status) => {
    const message = `${name} as Bedrock words it.`;
    // Every attempt fails (the gateway's own retries included), so the client hears Bedrock's last answer.
    gateway.localBedrock!.configure({ faults: { failFirst: 1000, failFirstWith: { status, type: name, message } } });
    const error = await client()
      .send(
        new ConverseCommand({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: `fail with ${name}` }] }] }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Sdk[name] as unknown as new (...args: never[]) => Error);
    expect(error).toMatchObject({ name, message, $metadata: { httpStatusCode: status } });
  });

  it.each(ERRORS)(
    'raises %s (HTTP %i) for a ConverseStream Bedrock refuses before its first event',
    async (name, status) => {
      const message = `${name} before the stream, as Bedrock words it.`;
      gateway.localBedrock!.configure({ faults: { failFirst: 1000, failFirstWith: { status, type: name, message } } });
      const error = await client()
        .send(
          new ConverseStreamCommand({
            modelId: MODEL,
            messages: [{ role: 'user', content: [{ text: `stream, fail with ${name}` }] }],
          }),
        )
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Sdk[name] as unknown as new (...args: never[]) => Error);
      expect(error).toMatchObject({ name, message, $metadata: { httpStatusCode: status } });
    },
  );

  it("passes on ModelErrorException's originalStatusCode and resourceName", async () => {
    gateway.localBedrock!.configure({
      faults: {
        failFirst: 1000,
        failFirstWith: {
          status: 424,
          type: 'ModelErrorException',
          message: 'Received server error (500) from model.',
          members: {
            originalStatusCode: 500,
            resourceName: 'arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0',
          },
        },
      },
    });
    const error = await client()
      .send(
        new InvokeModelCommand({
          modelId: MODEL,
          contentType: 'application/json',
          body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'x' }] }] }),
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Sdk.ModelErrorException);
    expect(error).toMatchObject({
      originalStatusCode: 500,
      resourceName: 'arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0',
    });
  });

  it('answers an invalid model id as Bedrock does', async () => {
    const error = await client()
      .send(
        new ConverseCommand({
          modelId: 'amazon.nova-nonexistent-v9:0',
          messages: [{ role: 'user', content: [{ text: 'x' }] }],
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Sdk.ValidationException);
    expect(error).toMatchObject({
      message: 'The provided model identifier is invalid.',
      $metadata: { httpStatusCode: 400 },
    });
  });
});
