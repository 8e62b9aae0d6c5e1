import fc from 'fast-check';
import { NovaCostError } from '@nova-cost/domain';
import type { PlannedCallFields } from '@nova-cost/testing';
import { plannedCall } from '@nova-cost/testing';
import type { InvocationResult, PlannedInvocation } from '@nova-cost/domain';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchingInvoker } from './batching-invoker';
import { apportion, mergeKey, mergeableTexts, splitResult } from './embedding-merge';
import { ScriptedModelInvoker, cohereAnswer, flushMicrotasks } from './testing/scripted-model-invoker';

const embed = (texts: string[], over: PlannedCallFields = {}): PlannedInvocation =>
  plannedCall({
    tenantId: 'acme',
    modelId: 'cohere.embed-english-v3',
    operation: 'invoke',
    body: { texts, input_type: 'search_document' },
    lane: 'deferrable',
    ...over,
  });

describe(mergeableTexts, () => {
  it('accepts Cohere embed bodies with string texts', () => {
    expect(mergeableTexts(embed(['a', 'b']))).toEqual(['a', 'b']);
    expect(mergeableTexts(embed(['a'], { modelId: 'us.cohere.embed-multilingual-v3' }))).toEqual(['a']);
  });
  it.each([
    ['a model without input batches', embed(['a'], { modelId: 'amazon.titan-embed-text-v2:0' })],
    ['converse', embed(['a'], { operation: 'converse' })],
    ['no texts', embed([])],
    ['texts that are not strings', { ...embed([]), body: { texts: [1, 2], input_type: 'x' } }],
    ['an id that is no model id', embed(['a'], { modelId: '../etc/passwd' })],
  ])('refuses %s', (_name, request) => {
    expect(mergeableTexts(request)).toBeUndefined();
  });
});

describe(mergeKey, () => {
  it('is the same for requests that differ only in their texts', () => {
    expect(mergeKey(embed(['a']))).toBe(mergeKey(embed(['b', 'c'])));
  });
  it.each([
    ['tenant', { tenantId: 'other' }],
    ['model', { modelId: 'cohere.embed-multilingual-v3' }],
    ['region', { region: 'eu-west-1' }],
    ['cache rule', { cache: { ttlSeconds: 60 } }],
    ['other body field', { body: { texts: ['a'], input_type: 'search_query' } }],
    ['fallback chain', { fallbacks: ['cohere.embed-multilingual-v3'] }],
    ['service tier', { tier: { name: 'flex', by: 'policy' } }],
    ['lane', { lane: 'interactive' }],
  ] as const)('differs by %s', (_name, over) => {
    expect(mergeKey(embed(['a'], over as PlannedCallFields))).not.toBe(mergeKey(embed(['a'])));
  });
  it("differs by who chose the tier: the policy's is priced as its saving, the caller's is not", () => {
    const by = (who: 'caller' | 'policy') => mergeKey(embed(['a'], { tier: { name: 'flex', by: who } }));
    expect(by('caller')).not.toBe(by('policy'));
  });
});

describe(apportion, () => {
  it('splits an integer total in proportion, adding up exactly', () => {
    fc.assert(
      fc.property(fc.nat(1_000_000), fc.array(fc.nat(1_000), { minLength: 1, maxLength: 20 }), (total, weights) => {
        const shares = apportion(total, weights);
        expect(shares.reduce((a, b) => a + b, 0)).toBe(total);
        expect(shares.every((s) => Number.isInteger(s) && s >= 0)).toBe(true);
      }),
    );
    expect(apportion(10, [1, 1, 2])).toEqual([3, 2, 5]);
  });
});

describe(splitResult, () => {
  const result = (body: InvocationResult['body']): InvocationResult => ({
    body,
    usage: { inputTokens: 9, outputTokens: 0, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
    latencyMs: 12,
    cache: 'bypass',
    modelId: 'cohere.embed-english-v3',
  });

  it('splits embeddings by type when embedding_types was asked for', () => {
    const parts = splitResult(
      result({
        id: 'x',
        embeddings: { float: [[1], [2], [3]], int8: [[4], [5], [6]] },
        response_type: 'embeddings_by_type',
      }),
      [embed(['a']), embed(['b', 'c'])],
    );
    expect(parts.map((p) => p.body['embeddings'])).toEqual([
      { float: [[1]], int8: [[4]] },
      { float: [[2], [3]], int8: [[5], [6]] },
    ]);
  });

  it('refuses an answer whose embeddings do not match the texts sent', () => {
    expect(() => splitResult(result({ embeddings: [[1]] }), [embed(['a']), embed(['b'])])).toThrow(
      /returned 1 embeddings for 2 texts/,
    );
  });
});

describe('BatchingInvoker merging embeddings', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('makes one upstream call for the texts of many callers and gives each its own embeddings and usage', async () => {
    const upstream = new ScriptedModelInvoker((r) => ({ body: cohereAnswer(r), usage: { inputTokens: 60 } }));
    const batcher = new BatchingInvoker(upstream, { lanes: { deferrable: { maxBatchSize: 3, maxWaitMs: 100 } } });
    const [a, b, c] = await Promise.all(
      [embed(['aa']), embed(['bbbb', 'c']), embed(['dddddd', 'ee', 'f'])].map((r) => batcher.invoke(r)),
    );
    expect(upstream.calls).toHaveLength(1);
    expect(upstream.calls[0]!.request.body).toEqual({
      texts: ['aa', 'bbbb', 'c', 'dddddd', 'ee', 'f'],
      input_type: 'search_document',
    });
    // Each body is shaped as if the caller had been alone: its own texts, embeddings indexed from its own start.
    expect(a!.body).toEqual({ id: 'e1', embeddings: [[2, 0]], texts: ['aa'], response_type: 'embeddings_floats' });
    expect(b!.body).toMatchObject({
      embeddings: [
        [4, 1],
        [1, 2],
      ],
      texts: ['bbbb', 'c'],
    });
    expect(c!.body).toMatchObject({
      embeddings: [
        [6, 3],
        [2, 4],
        [1, 5],
      ],
      texts: ['dddddd', 'ee', 'f'],
    });
    // 60 tokens shared by characters, 2, 5 and 9 of 16: 7.5, 18.75 and 33.75, rounded so they add up to 60.
    expect([a, b, c].map((r) => r!.usage.inputTokens)).toEqual([7, 19, 34]);
    expect(batcher.stats()).toMatchObject({ dispatched: 1, mergedRequests: 3, completed: 3 });
  });

  it('keeps tenants and parameters apart and caps a call at maxInputsPerCall texts', async () => {
    const upstream = new ScriptedModelInvoker((r) => ({ body: cohereAnswer(r) }));
    const batcher = new BatchingInvoker(upstream, {
      lanes: { deferrable: { maxBatchSize: 4, maxWaitMs: 100 } },
      embeddingMerge: { maxInputsPerCall: 3 },
    });
    const calls = [embed(['a', 'b']), embed(['c']), embed(['d']), embed(['e'], { tenantId: 'other' })].map((r) =>
      batcher.invoke(r),
    );
    await vi.advanceTimersByTimeAsync(100);
    await Promise.all(calls);
    expect(upstream.calls.map((c) => [c.request.tenantId, c.request.body['texts']])).toEqual([
      ['acme', ['a', 'b', 'c']],
      ['acme', ['d']],
      ['other', ['e']],
    ]);
  });

  it('sends a request alone, unchanged, when nobody shares its call', async () => {
    const upstream = new ScriptedModelInvoker((r) => ({ body: cohereAnswer(r) }));
    const batcher = new BatchingInvoker(upstream);
    const request = embed(['solo'], { lane: 'interactive' });
    await batcher.invoke(request);
    expect(upstream.calls[0]!.request).toBe(request);
  });

  it('leaves the texts of a caller who aborted out of the merged call', async () => {
    const upstream = new ScriptedModelInvoker((r) =>
      r.operation === 'converse' ? { delayMs: 200 } : { body: cohereAnswer(r) },
    );
    const batcher = new BatchingInvoker(upstream, {
      concurrency: 1,
      lanes: { deferrable: { maxBatchSize: 10, maxWaitMs: 100 } },
    });
    const blocker = batcher.invoke({
      ...embed(['x']),
      modelId: 'amazon.nova-lite-v1:0',
      operation: 'converse',
      lane: 'interactive',
    });
    const controller = new AbortController();
    const calls = [
      batcher.invoke(embed(['a'])),
      batcher.invoke(embed(['b']), { signal: controller.signal }),
      batcher.invoke(embed(['c'])),
    ];
    const settled = Promise.allSettled(calls);
    await vi.advanceTimersByTimeAsync(100);
    controller.abort();
    await flushMicrotasks();
    await vi.advanceTimersByTimeAsync(100);
    await blocker;
    const [a, b, c] = await settled;
    expect(b).toMatchObject({ status: 'rejected', reason: { kind: 'aborted' } });
    expect(upstream.calls[1]!.request.body['texts']).toEqual(['a', 'c']);
    expect([a, c].map((r) => (r as PromiseFulfilledResult<InvocationResult>).value.body['texts'])).toEqual([
      ['a'],
      ['c'],
    ]);
  });

  it('fails every merged caller with a clear error when the answer cannot be split', async () => {
    const upstream = new ScriptedModelInvoker(() => ({ body: { embeddings: [[1]] } }));
    const batcher = new BatchingInvoker(upstream, { lanes: { deferrable: { maxBatchSize: 2, maxWaitMs: 100 } } });
    const outcomes = await Promise.allSettled([batcher.invoke(embed(['a'])), batcher.invoke(embed(['b']))]);
    for (const o of outcomes) {
      expect(o.status).toBe('rejected');
      const reason = (o as PromiseRejectedResult).reason;
      expect(NovaCostError.is(reason, 'internal') && reason.message).toMatch(/1 embeddings for 2 texts/);
    }
  });
});
