import { describe, expect, it } from 'vitest';
import type { Clock } from '../clock.port';
import { NovaCostError } from '../errors/nova-cost.error';
import type { CacheOutcome, InvocationRequest, InvokeOptions, PlannedInvocation } from '../invocation/invocation.types';
import { meteredStream } from '../invocation/metered-stream';
import type { ModelStream, ModelStreamEvent, ModelStreamer } from '../invocation/model-stream';
import { StreamMeter } from '../invocation/stream-meter';
import { InMemorySpendLedger } from '../ledger/in-memory-spend-ledger';
import { RuleBasedCostPolicy } from '../policy/rule-based-cost-policy';
import { StaticPricingCatalog } from '../pricing/static-pricing-catalog';
import { StreamModel } from './stream-model.service';

const clock: Clock = { now: () => new Date('2026-11-28T10:00:00Z') };
const pricing = new StaticPricingCatalog();

const EVENTS: ModelStreamEvent[] = [
  { type: 'messageStart', payload: { role: 'assistant' } },
  {
    type: 'contentBlockDelta',
    payload: { contentBlockIndex: 0, delta: { text: 'Twenty words of a streamed answer, more or less. ' } },
  },
  { type: 'contentBlockDelta', payload: { contentBlockIndex: 0, delta: { text: 'And a second delta.' } } },
  { type: 'contentBlockStop', payload: { contentBlockIndex: 0 } },
  { type: 'messageStop', payload: { stopReason: 'end_turn' } },
  {
    type: 'metadata',
    payload: { usage: { inputTokens: 1000, outputTokens: 1000, totalTokens: 2000 }, metrics: { latencyMs: 1 } },
  },
];

/** Streams EVENTS with a chosen cache outcome, and remembers what it was asked and admitted. */
class ScriptedStreamer implements ModelStreamer {
  readonly seen: PlannedInvocation[] = [];
  admitted = 0;
  constructor(private readonly cache: CacheOutcome | Error = 'bypass') {}
  async stream(request: PlannedInvocation, options: InvokeOptions = {}): Promise<ModelStream> {
    this.seen.push(request);
    if (this.cache instanceof Error) throw this.cache;
    if (this.cache === 'bypass') {
      await options.admit?.();
      this.admitted += 1;
    }
    async function* events(): AsyncGenerator<ModelStreamEvent> {
      yield* EVENTS;
    }
    return {
      cache: this.cache,
      modelId: request.modelId,
      ...meteredStream(events(), new StreamMeter('converse-stream', 10)),
    };
  }
}

const request: InvocationRequest = {
  tenantId: 'acme',
  modelId: 'amazon.nova-pro-v1:0',
  operation: 'converse-stream',
  body: {
    messages: [{ role: 'user', content: [{ text: 'hi' }] }],
    inferenceConfig: { temperature: 0, maxTokens: 100 },
  },
};

function setup(cache: CacheOutcome | Error = 'bypass') {
  const ledger = new InMemorySpendLedger();
  const streamer = new ScriptedStreamer(cache);
  const policy = new RuleBasedCostPolicy({}, { pricing, ledger, clock });
  return {
    ledger,
    streamer,
    useCase: new StreamModel({ policy, streamer, pricing, ledger, clock, admission: 'invoker' }),
  };
}

async function drain(stream: ModelStream): Promise<number> {
  let n = 0;
  for await (const _ of stream.events) n += 1;
  return n;
}

describe(StreamModel, () => {
  describe('.execute', () => {
    it('plans the stream (cacheable when deterministic), and once it ended prices its reported usage and records it', async () => {
      const { useCase, streamer, ledger } = setup();
      const outcome = await useCase.execute(request);
      expect(streamer.seen[0]?.cache).toEqual({ ttlSeconds: 3600 });
      expect(await drain(outcome.stream)).toBe(6);
      const settled = await outcome.settled;
      const expected = pricing.cost({
        modelId: 'amazon.nova-pro-v1:0',
        region: 'us-east-1',
        usage: { inputTokens: 1000, outputTokens: 1000, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
      });
      expect(settled).toMatchObject({
        costUsd: expected,
        savedUsd: 0,
        unpriced: false,
        report: { end: 'complete', reported: true },
      });
      expect((await ledger.totals({ tenantId: 'acme' })).total).toMatchObject({ calls: 1, costUsd: expected });
    });

    it('records a stream served from the cache at no cost, its price as the saving', async () => {
      const { useCase, ledger } = setup('hit');
      const outcome = await useCase.execute(request);
      await drain(outcome.stream);
      const settled = await outcome.settled;
      expect(settled.costUsd).toBe(0);
      expect(settled.savings).toEqual([{ strategy: 'cache', usd: expect.any(Number) }]);
      expect((await ledger.totals({ tenantId: 'acme' })).total.savedUsd).toBeGreaterThan(0);
    });

    it('prices a stream its caller left from the tokens produced until then', async () => {
      const { useCase } = setup();
      const outcome = await useCase.execute(request);
      for await (const e of outcome.stream.events) if (e.type === 'contentBlockDelta') break;
      const settled = await outcome.settled;
      expect(settled.report).toMatchObject({ end: 'abandoned', reported: false });
      expect(settled.costUsd).toBeGreaterThan(0);
    });

    it('records a model without a price as unpriced', async () => {
      const { useCase, ledger } = setup();
      const outcome = await useCase.execute({ ...request, modelId: 'writer.palmyra-x5-v1:0' });
      await drain(outcome.stream);
      expect(await outcome.settled).toMatchObject({ unpriced: true, costUsd: 0 });
      expect((await ledger.totals({ tenantId: 'acme' })).total.unpriced).toEqual({
        calls: 1,
        inputTokens: 1000,
        outputTokens: 1000,
      });
    });

    it('passes a failure before the first event to the caller and records nothing', async () => {
      const { useCase, ledger } = setup(new NovaCostError('throttled', 'slow down'));
      await expect(useCase.execute(request)).rejects.toMatchObject({ kind: 'throttled' });
      expect((await ledger.totals({ tenantId: 'acme' })).total.calls).toBe(0);
    });

    it('refuses a unary operation', async () => {
      const { useCase } = setup();
      await expect(useCase.execute({ ...request, operation: 'converse' })).rejects.toMatchObject({ kind: 'internal' });
    });
  });
});
