/**
 * Issue 4 benchmark: the response cache (@nova-cost/caching) on a throwaway local redis-server.
 *
 *   npm run bench -- cache     or alone: cd bench && npx tsx src/cache.bench.ts        (about 15 s)
 *
 * Figures, each against a baseline measured in the same run:
 *   1. hit-path latency of CachingInvoker for a 2 KB request / a raw ioredis GET of the same stored bytes, at p50
 *      (and p99), per round, the two interleaved call by call                                     (target ≤ 1.5)
 *   2. a replayed Zipf-distributed workload at concurrency 32 (20 ms upstream): upstream calls and their cost for
 *      nova-cost (one process, and two processes sharing Redis), the design document's naive get-then-set cache,
 *      no cache, and the ideal (each distinct request once) — one round per workload seed
 */
import type { InvocationResult, ModelInvoker, PlannedInvocation } from '@nova-cost/domain';
import { plannedCall } from '@nova-cost/testing';
import { requestKey, StaticPricingCatalog } from '@nova-cost/domain';
import { CachingInvoker, RedisResponseStore } from '@nova-cost/caching';
import { startTestRedis } from '@nova-cost/testing';
import { Redis } from 'ioredis';
import type { BenchSection, Figure } from './lib/report';
import { figure, runIfMain } from './lib/report';
import { median, nowMs, quantile } from './lib/stats';
import { zipfSequence } from './lib/zipf';

const HIT_ROUNDS = 7;
const HITS_PER_ROUND = 2_000;
const ZIPF_SEEDS = [4, 17, 29];
const ZIPF_REQUESTS = 3_000;
const ZIPF_DISTINCT = 300;
const ZIPF_CONCURRENCY = 32;
const UPSTREAM_MS = 20;
const MODEL = 'amazon.nova-pro-v1:0';
const USAGE = { inputTokens: 500, outputTokens: 400, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 };

/** A model that answers ~2 KB after UPSTREAM_MS, and counts its calls. */
class SlowUpstream implements ModelInvoker {
  calls = 0;
  async invoke(request: PlannedInvocation): Promise<InvocationResult> {
    this.calls += 1;
    await new Promise((r) => setTimeout(r, UPSTREAM_MS));
    return {
      body: {
        output: { message: { role: 'assistant', content: [{ text: 'y'.repeat(1900) }] } },
        stopReason: 'end_turn',
      },
      usage: USAGE,
      latencyMs: UPSTREAM_MS,
      cache: 'bypass',
      modelId: request.modelId,
      stopReason: 'end_turn',
    };
  }
}

/** The design document's cache (section 2.1): look up; on a miss call the model and store. No coalescing, no lock. */
class NaiveGetThenSetCache implements ModelInvoker {
  constructor(
    private readonly next: ModelInvoker,
    private readonly redis: Redis,
  ) {}
  async invoke(request: PlannedInvocation): Promise<InvocationResult> {
    const key = `naive:${requestKey(request, 'us-east-1')}`;
    const hit = await this.redis.get(key);
    if (hit) return { ...(JSON.parse(hit) as InvocationResult), cache: 'hit' };
    const result = await this.next.invoke(request);
    await this.redis.set(key, JSON.stringify(result), 'EX', 600);
    return result;
  }
}

const request = (text: string): PlannedInvocation =>
  plannedCall({
    tenantId: 'bench',
    modelId: MODEL,
    operation: 'converse',
    body: { messages: [{ role: 'user', content: [{ text }] }], inferenceConfig: { temperature: 0 } },
    cache: { ttlSeconds: 600 },
  });

async function connect(url: string): Promise<Redis> {
  const client = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, commandTimeout: 1000 });
  await client.connect();
  return client;
}

async function hitPath(url: string): Promise<Figure[]> {
  const client = await connect(url);
  // hotMaxBytes 0: the figure is the Redis hit path; a copy in process would answer without Redis.
  const cache = new CachingInvoker(new SlowUpstream(), new RedisResponseStore(client), {
    storeTimeoutMs: 1000,
    hotMaxBytes: 0,
  });
  const twoKb = request('q'.repeat(2048));
  await cache.invoke(twoKb);
  const key = requestKey(twoKb, 'us-east-1');
  const bytes = Buffer.byteLength((await client.get(key)) ?? '');
  const p50: number[] = [];
  const p99: number[] = [];
  const raw50: number[] = [];
  const ours50: number[] = [];
  try {
    for (let round = 0; round < HIT_ROUNDS; round++) {
      const ours: number[] = [];
      const raw: number[] = [];
      for (let i = 0; i < HITS_PER_ROUND; i++) {
        // Interleaved call by call, so drift in the machine's load hits both sides alike.
        let t = nowMs();
        const hit = await cache.invoke(twoKb);
        ours.push(nowMs() - t);
        if (hit.cache !== 'hit') throw new Error(`expected a cache hit, got ${hit.cache}`);
        t = nowMs();
        await client.get(key);
        raw.push(nowMs() - t);
      }
      p50.push(median(ours) / median(raw));
      p99.push(quantile(ours, 0.99) / quantile(raw, 0.99));
      ours50.push(median(ours));
      raw50.push(median(raw));
    }
  } finally {
    client.disconnect();
  }
  const details = {
    entryBytes: bytes,
    hitsPerRound: HITS_PER_ROUND,
    hitP50Ms: median(ours50),
    rawGetP50Ms: median(raw50),
  };
  return [
    figure('cache.hit-p50-vs-raw-get', 'hit path p50 / raw ioredis GET p50 of the same bytes (2 KB request)', p50, {
      target: { op: '<=', value: 1.5 },
      details,
    }),
    figure('cache.hit-p99-vs-raw-get', 'hit path p99 / raw ioredis GET p99 of the same bytes (2 KB request)', p99),
  ];
}

type Variant = 'nova-cost' | 'nova-cost-2-processes' | 'naive' | 'no-cache';

/** Replays `ranks` at concurrency 32, spread over `invokers` (one per process), and waits for every answer. */
async function replay(invokers: readonly ModelInvoker[], ranks: readonly number[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: ZIPF_CONCURRENCY }, async (_, worker) => {
      const invoker = invokers[worker % invokers.length] as ModelInvoker;
      while (next < ranks.length) await invoker.invoke(request(`zipf question ${ranks[next++]}`));
    }),
  );
}

/** Upstream calls of each contender for one seeded workload, on an emptied Redis each time. */
async function zipfRound(url: string, seed: number): Promise<Record<Variant, number> & { ideal: number }> {
  const ranks = zipfSequence(ZIPF_REQUESTS, ZIPF_DISTINCT, 1.1, seed);
  const admin = await connect(url);
  const calls = {} as Record<Variant, number>;
  const run = async (
    variant: Variant,
    make: (upstream: SlowUpstream, clients: Redis[]) => ModelInvoker[],
    processes = 1,
  ) => {
    await admin.flushdb();
    const clients = await Promise.all(Array.from({ length: processes }, () => connect(url)));
    const upstream = new SlowUpstream();
    await replay(make(upstream, clients), ranks);
    clients.forEach((c) => c.disconnect());
    calls[variant] = upstream.calls;
  };
  const ours = (upstream: SlowUpstream, clients: Redis[]) =>
    clients.map((c) => new CachingInvoker(upstream, new RedisResponseStore(c), { storeTimeoutMs: 1000 }));
  try {
    await run('nova-cost', ours);
    await run('nova-cost-2-processes', ours, 2);
    await run('naive', (upstream, [c]) => [new NaiveGetThenSetCache(upstream, c as Redis)]);
    await run('no-cache', (upstream) => [upstream]);
  } finally {
    admin.disconnect();
  }
  return { ...calls, ideal: new Set(ranks).size };
}

async function zipf(url: string): Promise<Figure[]> {
  const rounds: Awaited<ReturnType<typeof zipfRound>>[] = [];
  for (const seed of ZIPF_SEEDS) rounds.push(await zipfRound(url, seed));
  const perCallUsd = new StaticPricingCatalog().cost({ modelId: MODEL, region: 'us-east-1', usage: USAGE });
  const med = (pick: (r: (typeof rounds)[number]) => number) => median(rounds.map(pick));
  const usd = (calls: number) => Number((calls * perCallUsd).toFixed(6));
  const details = {
    requests: ZIPF_REQUESTS,
    distinctMedian: med((r) => r.ideal),
    concurrency: ZIPF_CONCURRENCY,
    upstreamMs: UPSTREAM_MS,
    seeds: ZIPF_SEEDS,
    perCallUsd,
    medianUpstreamCalls: {
      novaCost: med((r) => r['nova-cost']),
      novaCost2Processes: med((r) => r['nova-cost-2-processes']),
      naive: med((r) => r.naive),
      noCache: med((r) => r['no-cache']),
      ideal: med((r) => r.ideal),
    },
    medianCostUsd: {
      novaCost: usd(med((r) => r['nova-cost'])),
      novaCost2Processes: usd(med((r) => r['nova-cost-2-processes'])),
      naive: usd(med((r) => r.naive)),
      noCache: usd(med((r) => r['no-cache'])),
      ideal: usd(med((r) => r.ideal)),
    },
  };
  const setting = `${ZIPF_REQUESTS} Zipf requests, concurrency ${ZIPF_CONCURRENCY}, ${MODEL}`;
  return [
    figure(
      'cache.zipf-calls-vs-ideal',
      `upstream calls of nova-cost / ideal (each distinct request once; ${setting})`,
      rounds.map((r) => r['nova-cost'] / r.ideal),
      {
        target: { op: '<=', value: 1 },
        details,
      },
    ),
    figure(
      'cache.zipf-calls-2-processes-vs-ideal',
      'upstream calls of two nova-cost processes sharing Redis / ideal',
      rounds.map((r) => r['nova-cost-2-processes'] / r.ideal),
      {
        target: { op: '<=', value: 1.05 },
      },
    ),
    figure(
      'cache.zipf-calls-naive-vs-ours',
      "upstream calls (= cost) of the design document's get-then-set cache / nova-cost",
      rounds.map((r) => r.naive / r['nova-cost']),
    ),
    figure(
      'cache.zipf-cost-ours-vs-no-cache',
      'model cost with nova-cost / without any cache (same workload)',
      rounds.map((r) => r['nova-cost'] / r['no-cache']),
    ),
    figure(
      'cache.zipf-cost-usd',
      'model cost of the workload with nova-cost, USD (baselines in details)',
      rounds.map((r) => usd(r['nova-cost'])),
      { unit: 'usd' },
    ),
  ];
}

async function run(): Promise<Figure[]> {
  const redis = await startTestRedis({ controllable: true });
  try {
    return [...(await hitPath(redis.url)), ...(await zipf(redis.url))];
  } finally {
    await redis.close();
  }
}

export const cacheSection: BenchSection = {
  name: 'cache',
  description:
    'the response cache on a throwaway redis-server: hit path against raw GET, a Zipf workload against the design doc cache (about 15 s)',
  run,
};

await runIfMain(import.meta, cacheSection);
