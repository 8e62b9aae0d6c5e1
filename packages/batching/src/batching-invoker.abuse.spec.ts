import { NovaCostError } from '@nova-cost/domain';
import type { ModelInvoker, PlannedInvocation } from '@nova-cost/domain';
import { describe, expect, it } from 'vitest';
import { BatchingInvoker } from './batching-invoker';
import type { BatchingInvokerOptions } from './batching-invoker.options';
import { ScriptedModelInvoker } from './testing/scripted-model-invoker';

const upstream = new ScriptedModelInvoker();

function configurationError(build: () => unknown): NovaCostError {
  try {
    build();
  } catch (error) {
    if (NovaCostError.is(error, 'configuration')) return error;
    throw error;
  }
  throw new Error('expected a configuration error');
}

describe('BatchingInvoker misuse', () => {
  describe('constructor', () => {
    it('refuses a missing or wrong upstream', () => {
      expect(configurationError(() => new BatchingInvoker(undefined as unknown as ModelInvoker)).message).toMatch(
        /needs the ModelInvoker to wrap/,
      );
      expect(configurationError(() => new BatchingInvoker({} as ModelInvoker)).message).toMatch(/invoke\(\)/);
    });

    it.each<[string, BatchingInvokerOptions, RegExp]>([
      ['zero concurrency', { concurrency: 0 }, /concurrency must be an integer >= 1, got 0/],
      ['fractional concurrency', { concurrency: 2.5 }, /concurrency must be an integer >= 1, got 2.5/],
      ['infinite queue', { maxQueueSize: Infinity }, /maxQueueSize must be an integer >= 1, got Infinity/],
      [
        'batch size 0',
        { lanes: { deferrable: { maxBatchSize: 0 } } },
        /lanes.deferrable.maxBatchSize must be an integer >= 1/,
      ],
      [
        'negative wait',
        { lanes: { interactive: { maxWaitMs: -1 } } },
        /lanes.interactive.maxWaitMs must be a finite number >= 0, got -1/,
      ],
      ['NaN wait', { lanes: { deferrable: { maxWaitMs: NaN } } }, /maxWaitMs .* got NaN/],
      [
        'zero rpm',
        { quotas: { default: { requestsPerMinute: 0 } } },
        /quotas.default.requestsPerMinute must be a finite number/,
      ],
      [
        'negative tpm for one model',
        { quotas: { byModel: { 'amazon.nova-lite-v1:0': { tokensPerMinute: -5 } } } },
        /quotas.byModel\["amazon.nova-lite-v1:0"\].tokensPerMinute/,
      ],
      ['zero attempts', { retry: { maxAttempts: 0 } }, /retry.maxAttempts must be an integer >= 1, got 0/],
      ['negative backoff', { retry: { baseDelayMs: -10 } }, /retry.baseDelayMs/],
      ['merge cap 0', { embeddingMerge: { maxInputsPerCall: 0 } }, /embeddingMerge.maxInputsPerCall/],
      ['random that is no function', { random: 0.5 as unknown as () => number }, /random must be a function/],
    ])('refuses %s, naming the option', (_name, options, message) => {
      expect(configurationError(() => new BatchingInvoker(upstream, options)).message).toMatch(message);
    });
  });

  describe('.invoke', () => {
    it.each([null, undefined, {}, { modelId: 'm' }, { modelId: 7, body: {} }])(
      'rejects %o as a validation error without queueing it',
      async (request) => {
        const batcher = new BatchingInvoker(upstream);
        await expect(batcher.invoke(request as unknown as PlannedInvocation)).rejects.toMatchObject({
          kind: 'validation',
        });
        expect(batcher.stats().queued).toBe(0);
      },
    );
  });

  describe('.drain', () => {
    it.each([-1, NaN, Infinity, '100' as unknown as number])(
      'rejects a deadline of %o and keeps accepting',
      async (deadline) => {
        const batcher = new BatchingInvoker(upstream);
        await expect(batcher.drain(deadline)).rejects.toMatchObject({
          kind: 'configuration',
          message: expect.stringMatching(/drain\(deadlineMs\)/),
        });
        expect(batcher.stats().draining).toBe(false);
      },
    );
  });
});
