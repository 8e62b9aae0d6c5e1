/**
 * Issue 5 benchmark: the batching adapter against the local Bedrock endpoint (@nova-cost/bedrock-local, on its
 * own thread) over loopback HTTP with 50 ms of latency.
 *
 *   npm run bench -- batching     or alone: cd bench && npx tsx src/batching.bench.ts        (about 45 s)
 *
 * Figures, each a ratio against a baseline measured in the same run:
 *   1. makespan of 1,000 requests at concurrency 16 / the ideal ⌈1000/16⌉ × 50 ms       (target ≤ 1.15)
 *   2. makespan of ours / a bare pool of 16 workers over the same transport                (the batcher's overhead)
 *   3. makespan of the design document's processor (2.2: batches of 10, one call after another) / ours
 *      — measured on a sample and extrapolated linearly, since the loop is strictly sequential
 *   4. throttling errors returned by an endpoint that enforces 1,200 requests a minute (20 in any second), with
 *      the batcher's requests-per-minute quota configured, against the same load without it  (target 0)
 */
import { BatchingInvoker } from '@nova-cost/batching';
import { Worker } from 'node:worker_threads';
import { HttpModelInvoker } from '@nova-cost/batching/testing';
import type { InvocationResult, ModelInvoker, PlannedInvocation } from '@nova-cost/domain';
import { plannedCall } from '@nova-cost/testing';
import { NovaCostError } from '@nova-cost/domain';
import type { BenchSection, Figure } from './lib/report';
import { figure, runIfMain } from './lib/report';
import { nowMs } from './lib/stats';

const REQUESTS = 1_000;
const CONCURRENCY = 16;
const LATENCY_MS = 50;
const ROUNDS = 3;
const DESIGN_SAMPLE = 80;

const request = (n: number): PlannedInvocation =>
  plannedCall({
    tenantId: 'bench',
    modelId: 'amazon.nova-micro-v1:0',
    operation: 'converse',
    body: {
      messages: [{ role: 'user', content: [{ text: `bench question ${n}` }] }],
      inferenceConfig: { maxTokens: 16 },
    },
    lane: 'deferrable',
  });

/**
 * A faithful port of the design document's BedrockBatchProcessor (section 2.2): a queue, a loop that collects
 * up to `batchSize` items (each get() waiting at most `maxWaitMs`), then calls the model for each item in turn.
 */
class DesignDocBatchProcessor {
  private readonly queue: { request: PlannedInvocation; resolve: (r: InvocationResult | Error) => void }[] = [];
  private wakeUp: (() => void) | undefined;
  private running = true;

  constructor(
    private readonly bedrock: ModelInvoker,
    private readonly batchSize = 10,
    private readonly maxWaitMs = 1_000,
  ) {
    void this.loop();
  }

  submit(request: PlannedInvocation): Promise<InvocationResult | Error> {
    return new Promise((resolve) => {
      this.queue.push({ request, resolve });
      this.wakeUp?.();
    });
  }

  stop(): void {
    this.running = false;
    this.wakeUp?.();
  }

  private async get(): Promise<(typeof this.queue)[number] | undefined> {
    if (this.queue.length === 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.maxWaitMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = undefined;
    }
    return this.queue.shift();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const batch: (typeof this.queue)[number][] = [];
      while (batch.length < this.batchSize) {
        const item = await this.get();
        if (!item) break; // asyncio.TimeoutError
        batch.push(item);
      }
      for (const { request, resolve } of batch) {
        try {
          resolve(await this.bedrock.invoke(request));
        } catch (error) {
          resolve(error as Error);
        }
      }
    }
  }
}

/** The upstreams on their own thread (see batching-endpoint.worker.ts), driven by messages. */
async function startUpstreamThread(latencyMs: number, requestsPerMinute: number) {
  const file = new URL('./batching-endpoint.worker.ts', import.meta.url).href;
  // A worker does not inherit tsx's loader from the parent: register it before importing the TypeScript file.
  const worker = new Worker(
    `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(file)}); })`,
    {
      eval: true,
      workerData: { latencyMs, requestsPerMinute },
    },
  );
  let next = 1;
  const waiting = new Map<number, (result: unknown) => void>();
  const ready = new Promise<{ local: string; limited: string }>((resolve) =>
    waiting.set(0, (urls) => resolve(urls as { local: string; limited: string })),
  );
  worker.on('message', ({ id, result }: { id: number; result: unknown }) => waiting.get(id)?.(result));
  worker.on('error', (error) => {
    console.error(error);
    process.exit(1);
  });
  const send = <T>(op: string) =>
    new Promise<T>((resolve) => {
      const id = next++;
      waiting.set(id, (result) => resolve(result as T));
      worker.postMessage({ id, op });
    });
  const urls = await ready;
  return {
    urls,
    resetLimited: () => send<void>('reset-limited'),
    limitedStats: () => send<{ calls: number; throttled: number }>('limited-stats'),
    close: async () => {
      await send<void>('close');
      await worker.terminate();
    },
  };
}

async function makespan(count: number, send: (r: PlannedInvocation) => Promise<unknown>, offset = 0): Promise<number> {
  const start = nowMs();
  await Promise.all(Array.from({ length: count }, (_, n) => send(request(offset + n))));
  return nowMs() - start;
}

async function run(): Promise<Figure[]> {
  const quotaRpm = 1_200;
  const upstreams = await startUpstreamThread(LATENCY_MS, quotaRpm);
  try {
    const upstream = new HttpModelInvoker(upstreams.urls.local);
    await makespan(2 * CONCURRENCY, (r) => upstream.invoke(r)); // warm up connections and the JIT

    // Ours against the ideal and against a bare pool, and the design document's loop against ours, round after round.
    const ideal = Math.ceil(REQUESTS / CONCURRENCY) * LATENCY_MS;
    const vsIdeal: number[] = [];
    const vsPool: number[] = [];
    const designVsOurs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // A bare pool of 16 workers pulling from a list: the transport's own overhead, without any batcher.
      let taken = 0;
      const poolStart = nowMs();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (taken < REQUESTS) await upstream.invoke(request(round * REQUESTS + taken++));
        }),
      );
      const pool = nowMs() - poolStart;
      const batcher = new BatchingInvoker(upstream, { concurrency: CONCURRENCY });
      const ours = await makespan(REQUESTS, (r) => batcher.invoke(r), round * REQUESTS);
      await batcher.drain(1_000);
      const design = new DesignDocBatchProcessor(upstream);
      const sample = await makespan(DESIGN_SAMPLE, (r) => design.submit(r), round * REQUESTS);
      design.stop();
      vsIdeal.push(ours / ideal);
      vsPool.push(ours / pool);
      designVsOurs.push((sample * (REQUESTS / DESIGN_SAMPLE)) / ours);
    }

    // Throttling under a requests-per-minute quota. The endpoint enforces 1,200 requests a minute as 20 in any
    // second; the batcher is configured with 900 a minute and a 0.2 s burst (at most 3 + 15 calls in any second).
    // The control run sends the same load without the quota.
    const load = 120;
    const limited = new HttpModelInvoker(upstreams.urls.limited);
    const throttles = async (options: ConstructorParameters<typeof BatchingInvoker>[1]) => {
      await upstreams.resetLimited();
      const batcher = new BatchingInvoker(limited, { concurrency: CONCURRENCY, retry: { maxAttempts: 1 }, ...options });
      const outcomes = await Promise.allSettled(
        Array.from({ length: load }, (_, n) => batcher.invoke({ ...request(10_000 + n), lane: 'interactive' })),
      );
      await batcher.drain(1_000);
      const seen = outcomes.filter((o) => o.status === 'rejected' && NovaCostError.is(o.reason, 'throttled')).length;
      const { throttled } = await upstreams.limitedStats();
      if (seen !== throttled)
        throw new Error(`callers saw ${seen} throttled calls, the endpoint answered ${throttled}`);
      return throttled;
    };
    const withQuota = await throttles({ quotas: { default: { requestsPerMinute: 900, burstSeconds: 0.2 } } });
    const withoutQuota = await throttles({});

    const setting = `${REQUESTS} requests, concurrency ${CONCURRENCY}, ${LATENCY_MS} ms upstream`;
    return [
      figure(
        'batching.makespan-vs-ideal',
        `makespan / ideal ⌈${REQUESTS}/${CONCURRENCY}⌉×${LATENCY_MS} ms = ${ideal} ms (${setting})`,
        vsIdeal,
        {
          target: { op: '<=', value: 1.15 },
          details: { idealMs: ideal },
        },
      ),
      figure(
        'batching.makespan-vs-bare-pool',
        `makespan / a bare ${CONCURRENCY}-worker pool over the same transport (the batcher's own overhead)`,
        vsPool,
      ),
      figure(
        'batching.design-loop-vs-ours',
        `design-doc loop makespan / ours (loop measured on ${DESIGN_SAMPLE} requests, ×${REQUESTS / DESIGN_SAMPLE}: it is strictly sequential)`,
        designVsOurs,
        { target: { op: '>=', value: 10 } },
      ),
      figure(
        'batching.throttled-with-quota',
        `throttled calls with a 900/min quota configured (${load} requests, endpoint allows ${quotaRpm}/min)`,
        [withQuota],
        {
          unit: 'count',
          target: { op: '==', value: 0 },
          details: { throttledWithoutQuota: withoutQuota },
        },
      ),
    ];
  } finally {
    await upstreams.close();
  }
}

export const batchingSection: BenchSection = {
  name: 'batching',
  description: 'the batching adapter against the local Bedrock endpoint on its own thread (about 45 s)',
  run,
};

await runIfMain(import.meta, batchingSection);
