import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { NovaCostError } from '@nova-cost/domain';
import { describe, expect, it } from 'vitest';
import { BedrockModelInvoker } from './bedrock-model-invoker';
import type { BedrockModelInvokerOptions } from './bedrock-model-invoker.options';

function configurationError(options: unknown): NovaCostError {
  try {
    new BedrockModelInvoker(options as BedrockModelInvokerOptions);
  } catch (error) {
    if (NovaCostError.is(error, 'configuration')) return error;
    throw error;
  }
  throw new Error('expected a configuration error');
}

describe('BedrockModelInvoker misuse', () => {
  const cases: [string, unknown, RegExp][] = [
    ['no options', undefined, /options must be an object/],
    ['no region', {}, /region must look like 'us-east-1', got undefined/],
    ['a region that is no region', { region: 'US East' }, /region must look like/],
    [
      'an endpoint that is not http(s)',
      { region: 'us-east-1', endpoint: 'ftp://x' },
      /endpoint must be an http\(s\) URL/,
    ],
    [
      'credentials without a secret',
      { region: 'us-east-1', credentials: { accessKeyId: 'a' } },
      /credentials must have accessKeyId and secretAccessKey/,
    ],
    [
      'an unknown retry mode',
      { region: 'us-east-1', retryMode: 'legacy' },
      /retryMode must be 'standard' or 'adaptive'/,
    ],
    ['zero attempts', { region: 'us-east-1', maxAttempts: 0 }, /maxAttempts must be an integer >= 1, got 0/],
    [
      'a fractional timeout',
      { region: 'us-east-1', requestTimeoutMs: 1.5 },
      /requestTimeoutMs must be an integer >= 1/,
    ],
    ['a client that is not one', { client: {} }, /client must be a BedrockRuntimeClient/],
    [
      'a call timeout of zero',
      { region: 'us-east-1', callTimeoutMs: 0 },
      /callTimeoutMs must be an integer >= 1, got 0/,
    ],
    [
      'a call timeout no timer can wait',
      { region: 'us-east-1', callTimeoutMs: 2 ** 31 },
      /callTimeoutMs must be at most 2147483647/,
    ],
    [
      'retryThrottles that is not a boolean',
      { region: 'us-east-1', retryThrottles: 'no' },
      /retryThrottles must be a boolean, got "no"/,
    ],
  ];
  it.each(cases)('rejects %s with a configuration error', (_name, options, message) => {
    expect(configurationError(options).message).toMatch(message);
  });

  it('rejects a ready client mixed with client settings, naming them', () => {
    const client = new BedrockRuntimeClient({ region: 'us-east-1' });
    try {
      expect(configurationError({ client, region: 'us-east-1', maxAttempts: 2 }).message).toMatch(
        /not both \(got client and region, maxAttempts\)/,
      );
      expect(configurationError({ client, retryThrottles: false }).message).toMatch(
        /not both \(got client and retryThrottles\)/,
      );
      expect(new BedrockModelInvoker({ client, callTimeoutMs: 1_000 })).toBeInstanceOf(BedrockModelInvoker);
    } finally {
      client.destroy();
    }
  });
});
