import { describe, expect, it } from 'vitest';
import { NovaCostError } from '../errors/nova-cost.error';
import type { JsonObject } from '../json';
import { meteredStream } from './metered-stream';
import type { ModelStreamEvent } from './model-stream';
import { StreamMeter } from './stream-meter';

const chunk = (json: JsonObject): ModelStreamEvent => ({
  type: 'chunk',
  payload: { bytes: Buffer.from(JSON.stringify(json), 'utf8').toString('base64') },
});

const CONVERSE: ModelStreamEvent[] = [
  { type: 'messageStart', payload: { role: 'assistant' } },
  { type: 'contentBlockDelta', payload: { contentBlockIndex: 0, delta: { text: 'Hello there ' } } },
  { type: 'contentBlockDelta', payload: { contentBlockIndex: 0, delta: { text: 'world.' } } },
  { type: 'contentBlockStop', payload: { contentBlockIndex: 0 } },
  { type: 'messageStop', payload: { stopReason: 'end_turn' } },
  {
    type: 'metadata',
    payload: {
      usage: { inputTokens: 12, outputTokens: 5, totalTokens: 17, cacheReadInputTokens: 3 },
      metrics: { latencyMs: 40 },
    },
  },
];

const ANTHROPIC: ModelStreamEvent[] = [
  chunk({
    type: 'message_start',
    message: {
      role: 'assistant',
      usage: { input_tokens: 21, cache_read_input_tokens: 0, cache_creation_input_tokens: 7, output_tokens: 1 },
    },
  }),
  chunk({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  chunk({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Bonjour le monde, ' } }),
  chunk({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'encore.' } }),
  chunk({ type: 'content_block_stop', index: 0 }),
  chunk({
    type: 'message_delta',
    delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: { output_tokens: 9 },
  }),
  chunk({
    type: 'message_stop',
    'amazon-bedrock-invocationMetrics': {
      inputTokenCount: 21,
      outputTokenCount: 9,
      invocationLatency: 300,
      firstByteLatency: 100,
      cacheWriteInputTokenCount: 7,
    },
  }),
];

function metered(
  operation: 'converse-stream' | 'invoke-with-response-stream',
  events: readonly ModelStreamEvent[],
): StreamMeter {
  const meter = new StreamMeter(operation, 50);
  for (const e of events) meter.observe(e);
  return meter;
}

describe(StreamMeter, () => {
  describe('having seen a whole ConverseStream', () => {
    it('reports the metadata usage and the stop reason, complete', () => {
      expect(metered('converse-stream', CONVERSE).report('failed')).toEqual({
        end: 'complete',
        usage: { inputTokens: 12, outputTokens: 5, cacheReadInputTokens: 3, cacheWriteInputTokens: 0 },
        reported: true,
        stopReason: 'end_turn',
        events: 6,
      });
    });
  });

  describe('having seen a ConverseStream up to messageStop only', () => {
    it('is not complete: messageStop is not the end, metadata is', () => {
      const meter = metered('converse-stream', CONVERSE.slice(0, 5));
      expect(meter.complete).toBe(false);
      const report = meter.report('abandoned');
      expect(report).toMatchObject({ end: 'abandoned', reported: false, stopReason: 'end_turn' });
      // Input from the request's estimate, output from the text produced.
      expect(report.usage.inputTokens).toBe(50);
      expect(report.usage.outputTokens).toBeGreaterThanOrEqual(3);
    });
  });

  describe('having seen Anthropic chunks of InvokeModelWithResponseStream', () => {
    it('reports the invocation metrics of the last chunk', () => {
      expect(metered('invoke-with-response-stream', ANTHROPIC).report('failed')).toMatchObject({
        end: 'complete',
        usage: { inputTokens: 21, outputTokens: 9, cacheReadInputTokens: 0, cacheWriteInputTokens: 7 },
        stopReason: 'end_turn',
      });
    });

    it('estimates a stream cut short from the input the model reported and the text so far', () => {
      const report = metered('invoke-with-response-stream', ANTHROPIC.slice(0, 4)).report('failed');
      expect(report).toMatchObject({
        end: 'failed',
        reported: false,
        usage: { inputTokens: 21, cacheWriteInputTokens: 7 },
      });
      expect(report.usage.outputTokens).toBeGreaterThan(3);
    });
  });

  describe('having seen Nova chunks', () => {
    it('reads the text, stop reason and metrics', () => {
      const nova = [
        chunk({ messageStart: { role: 'assistant' } }),
        chunk({ contentBlockDelta: { delta: { text: 'Some words here.' }, contentBlockIndex: 0 } }),
        chunk({ messageStop: { stopReason: 'max_tokens' } }),
        chunk({
          metadata: { usage: { inputTokens: 4, outputTokens: 4 } },
          'amazon-bedrock-invocationMetrics': {
            inputTokenCount: 4,
            outputTokenCount: 4,
            invocationLatency: 1,
            firstByteLatency: 1,
          },
        }),
      ];
      expect(metered('invoke-with-response-stream', nova).report('failed')).toMatchObject({
        end: 'complete',
        stopReason: 'max_tokens',
        usage: { inputTokens: 4, outputTokens: 4 },
      });
    });
  });

  it('ignores chunks that are not base64 JSON', () => {
    const meter = metered('invoke-with-response-stream', [
      { type: 'chunk', payload: { bytes: '%%%' } },
      { type: 'chunk', payload: {} },
    ]);
    expect(meter.report('abandoned')).toMatchObject({
      end: 'abandoned',
      events: 2,
      usage: { inputTokens: 50, outputTokens: 0 },
    });
  });
});

async function* from(events: readonly ModelStreamEvent[], failAfter?: number): AsyncGenerator<ModelStreamEvent> {
  for (const [i, e] of events.entries()) {
    if (i === failAfter)
      throw new NovaCostError('upstream-unavailable', 'broken', {
        upstream: { name: 'ModelStreamErrorException' },
      });
    yield e;
  }
}

describe(meteredStream, () => {
  it('passes every event through and reports the complete stream', async () => {
    const { events, report } = meteredStream(from(CONVERSE), new StreamMeter('converse-stream', 0));
    const seen: ModelStreamEvent[] = [];
    for await (const e of events) seen.push(e);
    expect(seen).toEqual(CONVERSE);
    expect((await report).end).toBe('complete');
  });

  it('rethrows a failure and reports the stream failed with it', async () => {
    const { events, report } = meteredStream(from(CONVERSE, 2), new StreamMeter('converse-stream', 0));
    await expect(
      (async () => {
        for await (const _ of events);
      })(),
    ).rejects.toMatchObject({ kind: 'upstream-unavailable' });
    expect(await report).toMatchObject({
      end: 'failed',
      events: 2,
      error: { upstream: { name: 'ModelStreamErrorException' } },
    });
  });

  it('reports a stream the reader left abandoned, and closes its source', async () => {
    let closed = false;
    async function* source(): AsyncGenerator<ModelStreamEvent> {
      try {
        yield* CONVERSE;
      } finally {
        closed = true;
      }
    }
    const { events, report } = meteredStream(source(), new StreamMeter('converse-stream', 0));
    for await (const e of events) if (e.type === 'contentBlockDelta') break;
    expect(await report).toMatchObject({ end: 'abandoned', events: 2 });
    expect(closed).toBe(true);
  });

  it('reports a stream left before its first event abandoned', async () => {
    const { events, report } = meteredStream(from(CONVERSE), new StreamMeter('converse-stream', 7));
    await events[Symbol.asyncIterator]().return?.();
    expect(await report).toMatchObject({ end: 'abandoned', events: 0, usage: { inputTokens: 7 } });
  });

  it('reports a source that ended without its usage as failed, passing its end on', async () => {
    const { events, report } = meteredStream(from(CONVERSE.slice(0, 5)), new StreamMeter('converse-stream', 0));
    for await (const _ of events);
    expect(await report).toMatchObject({ end: 'failed', error: { kind: 'upstream-unavailable' } });
  });
});
