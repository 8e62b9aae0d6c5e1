/**
 * Child process of memory.bench.ts: holds 100,000 requests waiting for an answer and prints how much resident
 * memory that took, as JSON on stdout. Run with `node --expose-gc --import tsx memory-queue.child.ts <mode>`:
 *   - `batching`: the requests queued in a BatchingInvoker whose upstream never answers (the queue is full);
 *   - `array`: the baseline, the same requests and one pending promise each, held in a plain array.
 */
import { BatchingInvoker } from '@nova-cost/batching';
import type { InvocationResult, ModelInvoker, PlannedInvocation } from '@nova-cost/domain';
import { plannedCall } from '@nova-cost/testing';

const COUNT = Number(process.argv[3] ?? 100_000);
const CONCURRENCY = 16;
const mode = process.argv[2];
if (mode !== 'batching' && mode !== 'array')
  throw new Error(`usage: memory-queue.child.ts batching|array [count], got ${mode}`);

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const settle = async (): Promise<number> => {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().rss;
};

/** An upstream that never answers: every request stays queued or in flight. */
class StalledUpstream implements ModelInvoker {
  invoke(): Promise<InvocationResult> {
    return new Promise(() => undefined);
  }
}

const request = (n: number): PlannedInvocation =>
  plannedCall({
    tenantId: `tenant-${n % 10}`,
    modelId: 'amazon.nova-micro-v1:0',
    operation: 'converse',
    body: {
      messages: [
        { role: 'user', content: [{ text: `queued question number ${n}: summarise the attached note briefly.` }] },
      ],
      inferenceConfig: { maxTokens: 200 },
    },
    lane: 'deferrable',
  });

const before = await settle();
const held: unknown[] = [];
if (mode === 'batching') {
  const batcher = new BatchingInvoker(new StalledUpstream(), { concurrency: CONCURRENCY, maxQueueSize: COUNT });
  for (let n = 0; n < COUNT; n++) held.push(batcher.invoke(request(n)).catch(() => undefined));
  await new Promise((r) => setTimeout(r, 1_100)); // the deferrable lane's held batches flush into the queue
  const { queued, inFlight } = batcher.stats();
  if (queued + inFlight !== COUNT)
    throw new Error(`expected ${COUNT} pending requests, the batcher holds ${queued} queued and ${inFlight} in flight`);
} else {
  for (let n = 0; n < COUNT; n++) {
    const r = request(n);
    held.push([r, new Promise<InvocationResult>(() => undefined)]);
  }
}
const after = await settle();
process.stdout.write(`${JSON.stringify({ mode, count: held.length, rssBefore: before, rssAfter: after })}\n`);
process.exit(0);
