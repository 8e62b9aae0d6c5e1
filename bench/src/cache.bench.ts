/**
 * Issue 4 benchmark: the response cache (@nova-cost/caching) on a throwaway local redis-server.
 *
 *   cd bench && npx tsx src/cache.bench.ts        (about 10 s)
 *
 * Figures, each a ratio against a baseline measured in the same run:
 *   1. hit-path latency of CachingInvoker for a 2 KB request / a raw ioredis GET of the same stored bytes,
 *      at p50, per round                                                                  (target ≤ 1.5)
 *   2. upstream calls of a naive get-then-set cache (the design document's) / ours, for the same
 *      concurrent Zipf-distributed workload                                               (higher is better)
 */
import type { InvocationRequest, InvocationResult, ModelInvoker } from '@nova-cost/domain';
import { requestKey } from '@nova-cost/domain';
import { CachingInvoker, RedisResponseStore } from '@nova-cost/caching';
import { startTestRedis } from '@nova-cost/testing';
import { Redis } from 'ioredis';
import { median, nowMs, ratioFigure } from './lib/stats';
import { zipfSequence } from './lib/zipf';

const ROUNDS = 5;
const HITS_PER_ROUND = 1_000;
const ZIPF_REQUESTS = 3_000;
const ZIPF_DISTINCT = 300;
const ZIPF_CONCURRENCY = 64;
const UPSTREAM_MS = 20;

class SlowUpstream implements ModelInvoker {
  calls = 0;
  async invoke(request: InvocationRequest): Promise<InvocationResult> {
    this.calls += 1;
    await new Promise((r) => setTimeout(r, UPSTREAM_MS));
    return {
      body: { output: { message: { role: 'assistant', content: [{ text: 'y'.repeat(1900) }] } }, stopReason: 'end_turn' },
      usage: { inputTokens: 500, outputTokens: 400, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
      latencyMs: UPSTREAM_MS,
      source: 'upstream',
      modelId: request.modelId,
      stopReason: 'end_turn',
    };
  }
}

/** The design document's cache: look up, on a miss call the model and store. No coalescing, no lock. */
class NaiveGetThenSetCache implements ModelInvoker {
  constructor(
    private readonly next: ModelInvoker,
    private readonly redis: Redis,
  ) {}
  async invoke(request: InvocationRequest): Promise<InvocationResult> {
    const key = `naive:${requestKey(request, 'us-east-1')}`;
    const hit = await this.redis.get(key);
    if (hit) return { ...(JSON.parse(hit) as InvocationResult), source: 'cache' };
    const result = await this.next.invoke(request);
    await this.redis.set(key, JSON.stringify(result), 'EX', 600);
    return result;
  }
}

const request = (text: string): InvocationRequest => ({
  tenantId: 'bench',
  modelId: 'amazon.nova-micro-v1:0',
  operation: 'converse',
  body: { messages: [{ role: 'user', content: [{ text }] }], inferenceConfig: { temperature: 0 } },
  cache: { ttlSeconds: 600 },
});

async function connect(url: string): Promise<Redis> {
  const client = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, commandTimeout: 1000 });
  await client.connect();
  return client;
}

async function hitPathRatio(url: string): Promise<number[]> {
  const client = await connect(url);
  const cache = new CachingInvoker(new SlowUpstream(), new RedisResponseStore(client), { storeTimeoutMs: 1000 });
  const twoKb = request('q'.repeat(2048));
  await cache.invoke(twoKb);
  const key = requestKey(twoKb, 'us-east-1');
  const bytes = Buffer.byteLength((await client.get(key)) ?? '');
  console.log(`stored entry: ${bytes} bytes`);
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const ours: number[] = [];
    const raw: number[] = [];
    for (let i = 0; i < HITS_PER_ROUND; i++) {
      // Alternate so drift in the machine's load hits both sides alike.
      let t = nowMs();
      const hit = await cache.invoke(twoKb);
      ours.push(nowMs() - t);
      if (hit.source !== 'cache') throw new Error(`expected a cache hit, got ${hit.source}`);
      t = nowMs();
      await client.get(key);
      raw.push(nowMs() - t);
    }
    ratios.push(median(ours) / median(raw));
    console.log(`round ${round + 1}: p50 hit ${median(ours).toFixed(3)} ms, raw GET ${median(raw).toFixed(3)} ms`);
  }
  client.disconnect();
  return ratios;
}

async function runWorkload(invoker: ModelInvoker, ranks: readonly number[], tag: string): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: ZIPF_CONCURRENCY }, async () => {
      while (next < ranks.length) {
        const rank = ranks[next++] as number;
        await invoker.invoke(request(`${tag} zipf question ${rank}`));
      }
    }),
  );
}

async function zipfUpstreamCalls(url: string): Promise<{ ours: number; naive: number; distinct: number }> {
  const ranks = zipfSequence(ZIPF_REQUESTS, ZIPF_DISTINCT, 1.1, 4);
  const distinct = new Set(ranks).size;
  const oursUpstream = new SlowUpstream();
  const oursClient = await connect(url);
  await runWorkload(new CachingInvoker(oursUpstream, new RedisResponseStore(oursClient), { storeTimeoutMs: 1000 }), ranks, 'ours');
  const naiveUpstream = new SlowUpstream();
  const naiveClient = await connect(url);
  await runWorkload(new NaiveGetThenSetCache(naiveUpstream, naiveClient), ranks, 'naive');
  oursClient.disconnect();
  naiveClient.disconnect();
  return { ours: oursUpstream.calls, naive: naiveUpstream.calls, distinct };
}

const redis = await startTestRedis({ controllable: true });
try {
  console.log(`# cache benchmark on ${redis.kind} redis ${redis.url}`);
  const hit = ratioFigure(await hitPathRatio(redis.url));
  console.log(`1. hit path / raw GET at p50: ${hit.median.toFixed(2)}× (rounds ${hit.min.toFixed(2)}–${hit.max.toFixed(2)}, target ≤ 1.5)`);
  const zipf = await zipfUpstreamCalls(redis.url);
  console.log(
    `2. upstream calls, ${ZIPF_REQUESTS} Zipf requests over ${zipf.distinct} distinct, concurrency ${ZIPF_CONCURRENCY}: ` +
      `naive ${zipf.naive}, ours ${zipf.ours} (ideal ${zipf.distinct}) → naive/ours ${(zipf.naive / zipf.ours).toFixed(2)}×`,
  );
} finally {
  await redis.close();
}
