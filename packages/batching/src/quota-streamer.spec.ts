import type { ModelStream, ModelStreamer, ModelStreamEvent, PlannedInvocation } from '@nova-cost/domain';
import { plannedCall } from '@nova-cost/testing';
import { meteredStream, NovaCostError, StreamMeter } from '@nova-cost/domain';
import { describe, expect, it } from 'vitest';
import { BatchingInvoker } from './batching-invoker';
import type { BatchingInvokerOptions } from './batching-invoker.options';
import { QuotaStreamer } from './quota-streamer';
import { ScriptedModelInvoker } from './testing/scripted-model-invoker';

/** Streams a short answer reporting 10 input and 10 output tokens; throttles its first `throttles` calls. */
class ShortStreamer implements ModelStreamer {
  calls = 0;
  constructor(private throttles = 0) {}
  async stream(request: PlannedInvocation): Promise<ModelStream> {
    this.calls += 1;
    if (this.throttles > 0) {
      this.throttles -= 1;
      throw new NovaCostError('throttled', 'ThrottlingException', {
        upstream: { name: 'ThrottlingException', status: 429 },
      });
    }
    async function* events(): AsyncGenerator<ModelStreamEvent> {
      yield { type: 'contentBlockDelta', payload: { delta: { text: 'short' } } };
      yield { type: 'metadata', payload: { usage: { inputTokens: 10, outputTokens: 10 } } };
    }
    return {
      cache: 'bypass',
      modelId: request.modelId,
      ...meteredStream(events(), new StreamMeter('converse-stream', 10)),
    };
  }
}

const request = (maxTokens = 100): PlannedInvocation =>
  plannedCall({
    tenantId: 'acme',
    modelId: 'amazon.nova-lite-v1:0',
    operation: 'converse-stream',
    body: { messages: [{ role: 'user', content: [{ text: 'hi' }] }], inferenceConfig: { maxTokens } },
  });

function setUp(options: BatchingInvokerOptions, upstream = new ShortStreamer()) {
  const batcher = new BatchingInvoker(new ScriptedModelInvoker(), {
    retry: { baseDelayMs: 0, maxTotalDelayMs: 0 },
    ...options,
  });
  return { batcher, upstream, streamer: new QuotaStreamer(upstream, batcher.limits()) };
}

async function drain(stream: ModelStream): Promise<void> {
  for await (const _ of stream.events);
  await stream.report;
}

describe(QuotaStreamer, () => {
  it("counts streams against the model's requests per minute, the batcher's bucket", async () => {
    const { streamer, upstream } = setUp({ quotas: { default: { requestsPerMinute: 1 } } });
    await drain(await streamer.stream(request()));
    await expect(streamer.stream(request())).rejects.toMatchObject({
      kind: 'throttled',
      message: /quota of amazon.nova-lite-v1:0 admits no stream/,
    });
    expect(upstream.calls).toBe(1);
  });

  it('shares the bucket with the calls the batcher makes', async () => {
    const { streamer, batcher } = setUp({
      quotas: { default: { requestsPerMinute: 1 } },
      lanes: { interactive: { maxWaitMs: 0, maxBatchSize: 1 } },
    });
    await batcher.invoke({ ...request(), operation: 'converse' });
    await expect(streamer.stream(request())).rejects.toMatchObject({ kind: 'throttled' });
  });

  it('gives back the tokens a stream reserved and did not use, once it ended', async () => {
    const { streamer, upstream } = setUp({ quotas: { default: { tokensPerMinute: 1000 } } });
    // Each stream reserves its prompt and its 900-token cap; it uses 20.
    await drain(await streamer.stream(request(900)));
    await drain(await streamer.stream(request(900)));
    expect(upstream.calls).toBe(2);
  });

  it('retries a stream throttled before its first event with the back-off', async () => {
    const { streamer, upstream } = setUp({ retry: { baseDelayMs: 0, maxAttempts: 3 } }, new ShortStreamer(2));
    await drain(await streamer.stream(request()));
    expect(upstream.calls).toBe(3);
  });

  it('fails as throttled once the attempts are spent', async () => {
    const { streamer } = setUp({ retry: { baseDelayMs: 0, maxAttempts: 2 } }, new ShortStreamer(5));
    await expect(streamer.stream(request())).rejects.toMatchObject({ kind: 'throttled' });
  });
});
