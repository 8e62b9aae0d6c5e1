import type { LocalBedrock } from '@nova-cost/bedrock-local';
import { startLocalBedrock } from '@nova-cost/bedrock-local';
import type { NovaCostError } from '@nova-cost/domain';
import { InMemoryCircuitBreakers } from '@nova-cost/domain';
import { plannedCall } from '@nova-cost/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BedrockModelInvoker } from '../bedrock/bedrock-model-invoker';
import type { FallbackEvent } from './fallback-invoker';
import { FallbackInvoker } from './fallback-invoker';

const SONNET = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
const GLOBAL = `global.${SONNET}`;
const GEO = `us.${SONNET}`;
const HAIKU = 'anthropic.claude-haiku-4-5-20251001-v1:0';
const HELLO = { messages: [{ role: 'user', content: [{ text: 'Say hello to the cost team' }] }] };
const CALM = {
  latency: { fixedMs: 0, perOutputTokenMs: 0 },
  faults: { throttleRate: 0, serverErrorRate: 0, dropRate: 0, failFirst: 0, midStream: null, models: null },
};

let bedrock: LocalBedrock;
let bedrockInvoker: BedrockModelInvoker;
let now = 0;
let events: FallbackEvent[] = [];

/** A fallback link over the real Bedrock adapter, breakers opening at 2 failures for 10 s of the spec's clock. */
function fallbackInvoker(): FallbackInvoker {
  return new FallbackInvoker(bedrockInvoker, {
    breakers: new InMemoryCircuitBreakers({ failureThreshold: 2, openMs: 10_000 }),
    now: () => now,
    onFallback: (event) => events.push(event),
  });
}

const call = (fields: Parameters<typeof plannedCall>[0] = {}) =>
  plannedCall({ modelId: GLOBAL, body: HELLO, fallbacks: [GEO, HAIKU], ...fields });

async function failure(promise: Promise<unknown>): Promise<NovaCostError> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: NovaCostError) => e,
  );
}

beforeAll(async () => {
  bedrock = await startLocalBedrock();
  // Throttles fail at once (the gateway's batcher owns throttle retries): the chain is what answers them here.
  bedrockInvoker = new BedrockModelInvoker({
    region: 'us-east-1',
    endpoint: bedrock.url,
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    retryThrottles: false,
    maxAttempts: 1,
  });
});
afterAll(async () => {
  bedrockInvoker.destroy();
  await bedrock.close();
});
beforeEach(() => {
  bedrock.configure(CALM);
  bedrock.reset();
  now = Date.parse('2026-11-29T18:00:00Z');
  events = [];
});

describe(FallbackInvoker, () => {
  describe('.invoke', () => {
    it('answers from the next target when the first throttles, naming the model that served', async () => {
      bedrock.configure({ faults: { throttleRate: 1, models: [GLOBAL] } });
      const result = await fallbackInvoker().invoke(call());
      expect(result.modelId).toBe(GEO);
      expect(bedrock.stats().byModel).toEqual({ [GLOBAL]: 1, [GEO]: 1 });
      expect(events).toEqual([{ from: GLOBAL, to: GEO, reason: 'throttled' }]);
    });

    it('goes down the chain past 5xx answers to a cheaper model', async () => {
      bedrock.configure({
        faults: { failFirst: 2, failFirstWith: { status: 503, type: 'ServiceUnavailableException' } },
      });
      const result = await fallbackInvoker().invoke(call());
      expect(result.modelId).toBe(HAIKU);
      expect(bedrock.stats().byModel).toEqual({ [GLOBAL]: 1, [GEO]: 1, [HAIKU]: 1 });
    });

    it('goes on to the next target when Bedrock no longer serves the model (ResourceNotFoundException)', async () => {
      bedrock.configure({
        faults: { failFirst: 1, failFirstWith: { status: 404, type: 'ResourceNotFoundException' } },
      });
      const result = await fallbackInvoker().invoke(call());
      expect(result.modelId).toBe(GEO);
      expect(events).toEqual([{ from: GLOBAL, to: GEO, reason: 'not-found' }]);
    });

    it('skips a fallback target that refuses the call, never handing the caller an error the chain caused', async () => {
      bedrock.configure({ faults: { throttleRate: 1, models: [GLOBAL] } });
      // Bedrock offers no global profile of Nova Lite: the local endpoint refuses it as Bedrock would.
      const refused = 'global.amazon.nova-lite-v1:0';
      expect((await fallbackInvoker().invoke(call({ fallbacks: [refused, HAIKU] }))).modelId).toBe(HAIKU);
      const error = await failure(fallbackInvoker().invoke(call({ fallbacks: [refused] })));
      expect(error.kind).toBe('throttled');
    });

    it('never falls back for an error the caller caused', async () => {
      const error = await failure(fallbackInvoker().invoke(call({ body: { messages: 'not a list' } })));
      expect(error.kind).toBe('validation');
      expect(bedrock.stats().byModel).toEqual({ [GLOBAL]: 1 });
    });

    it("fails with the error that started the chain when every target fails, not a fallback's", async () => {
      // The caller's model throttles; both fallbacks answer 5xx.
      bedrock.configure({ faults: { failFirst: 1, failFirstWith: 'throttle', serverErrorRate: 1 } });
      const error = await failure(fallbackInvoker().invoke(call()));
      expect(error).toMatchObject({ kind: 'throttled', upstream: { name: 'ThrottlingException', status: 429 } });
      expect(bedrock.stats().byModel).toEqual({ [GLOBAL]: 1, [GEO]: 1, [HAIKU]: 1 });
    });

    it('neither falls back nor counts toward the circuit when the model fails on the input (ModelErrorException)', async () => {
      // 424: the model failed on this request's input; the target is healthy, for this tenant and every other.
      const modelError = { status: 424, type: 'ModelErrorException', members: { originalStatusCode: 400 } };
      bedrock.configure({ faults: { failFirst: 2, failFirstWith: modelError } });
      const invoker = fallbackInvoker();
      for (let i = 0; i < 2; i++) {
        const error = await failure(invoker.invoke(call()));
        expect(error.upstream).toMatchObject({ name: 'ModelErrorException', status: 424 });
      }
      expect(bedrock.stats().byModel).toEqual({ [GLOBAL]: 2 });
      // Two failures would have opened the circuit (threshold 2): the next call still goes to the caller's model.
      expect((await invoker.invoke(call())).modelId).toBe(GLOBAL);
      expect(events).toEqual([]);
    });

    it('does not fall back when the connection breaks after the request went out: the model may have billed it', async () => {
      bedrock.configure({ faults: { failFirst: 2, failFirstWith: 'drop' } });
      const invoker = fallbackInvoker();
      for (let i = 0; i < 2; i++) expect((await failure(invoker.invoke(call()))).kind).toBe('upstream-unavailable');
      expect(bedrock.stats().byModel).toEqual({ [GLOBAL]: 2 });
      expect(events).toEqual([]);
      // Like a failure of the target, it counts toward its circuit: two opened it.
      expect((await invoker.invoke(call())).modelId).toBe(GEO);
    });

    it('passes a call without fallbacks through untouched', async () => {
      bedrock.configure({ faults: { throttleRate: 1 } });
      const error = await failure(fallbackInvoker().invoke(call({ fallbacks: [] })));
      expect(error.kind).toBe('throttled');
      expect(events).toEqual([]);
    });
  });

  describe('circuit breakers', () => {
    it('skips a target whose circuit opened, then probes it once openMs passed', async () => {
      bedrock.configure({ faults: { throttleRate: 1, models: [GLOBAL] } });
      const invoker = fallbackInvoker();
      for (let i = 0; i < 4; i++) expect((await invoker.invoke(call())).modelId).toBe(GEO);
      // Two throttles opened the circuit: the next two calls went straight to the geo profile.
      expect(bedrock.stats().byModel).toEqual({ [GLOBAL]: 2, [GEO]: 4 });
      expect(events.at(-1)).toEqual({ from: GLOBAL, to: GEO, reason: 'circuit-open' });
      bedrock.configure({ faults: { throttleRate: 0 } });
      now += 10_000;
      expect((await invoker.invoke(call())).modelId).toBe(GLOBAL);
      expect((await invoker.invoke(call())).modelId).toBe(GLOBAL);
    });

    it('lets the next call probe when the probe call failed for its own reasons', async () => {
      bedrock.configure({ faults: { throttleRate: 1, models: [GLOBAL] } });
      const invoker = fallbackInvoker();
      for (let i = 0; i < 2; i++) await invoker.invoke(call());
      bedrock.configure({ faults: { throttleRate: 0 } });
      now += 10_000;
      // The probe goes to the caller's model, which refuses the caller's bad request: that says nothing of the target.
      expect((await failure(invoker.invoke(call({ body: { messages: 'not a list' } })))).kind).toBe('validation');
      expect((await invoker.invoke(call())).modelId).toBe(GLOBAL);
    });

    it('fails clearly, without calling anything, while every target is resting', async () => {
      bedrock.configure({ faults: { throttleRate: 1 } });
      const invoker = fallbackInvoker();
      for (let i = 0; i < 2; i++) await failure(invoker.invoke(call()));
      bedrock.reset();
      const error = await failure(invoker.invoke(call()));
      expect(error).toMatchObject({ kind: 'upstream-unavailable', details: { reason: 'circuit-open' } });
      expect(error.message).toContain(GLOBAL);
      expect(bedrock.stats().calls).toBe(0);
    });
  });

  describe('.stream', () => {
    const streamCall = () => call({ operation: 'converse-stream' });
    const drain = async (events: AsyncIterable<unknown>) => {
      let n = 0;
      for await (const _ of events) n += 1;
      return n;
    };

    it('falls back before the first event', async () => {
      bedrock.configure({ faults: { throttleRate: 1, models: [GLOBAL] } });
      const stream = await fallbackInvoker().stream(streamCall());
      expect(stream.modelId).toBe(GEO);
      expect(await drain(stream.events)).toBeGreaterThan(0);
      expect((await stream.report).end).toBe('complete');
    });

    it('never after it: a stream broken midway fails as the stream it is, with no second call', async () => {
      bedrock.configure({ faults: { midStream: { kind: 'exception', exception: 'throttlingException' } } });
      const stream = await fallbackInvoker().stream(streamCall());
      expect(stream.modelId).toBe(GLOBAL);
      await expect(drain(stream.events)).rejects.toMatchObject({ kind: 'throttled' });
      expect(bedrock.stats().byModel).toEqual({ [GLOBAL]: 1 });
    });
  });
});
