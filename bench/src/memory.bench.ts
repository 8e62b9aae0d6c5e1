/**
 * Issue 8 benchmark: resident memory of 100,000 queued requests in the batching adapter, against the same
 * requests held in a plain array with one pending promise each (what any queue must at least keep), each side
 * in a fresh child process (memory-queue.child.ts), rounds interleaved.
 *
 *   npm run bench -- memory     or alone: cd bench && npx tsx src/memory.bench.ts        (about 30 s)
 */
import { fileURLToPath } from 'node:url';
import type { BenchSection, Figure } from './lib/report';
import { runJsonChild } from './lib/json-child';
import { figure, runIfMain } from './lib/report';
import { median } from './lib/stats';

const COUNT = 100_000;
const ROUNDS = 3;
const CHILD = fileURLToPath(new URL('./memory-queue.child.ts', import.meta.url));
const MiB = 1024 * 1024;

interface ChildReport {
  readonly mode: 'batching' | 'array';
  readonly count: number;
  readonly rssBefore: number;
  readonly rssAfter: number;
}

async function measure(mode: ChildReport['mode']): Promise<ChildReport> {
  const report = await runJsonChild<ChildReport>(CHILD, [mode, String(COUNT)], {
    nodeFlags: ['--expose-gc'],
    timeoutMs: 120_000,
  });
  if (report.count !== COUNT) throw new Error(`the ${mode} child held ${report.count} requests, not ${COUNT}`);
  return report;
}

async function run(): Promise<Figure[]> {
  const ratios: number[] = [];
  const batchingMiB: number[] = [];
  const bytesPerRequest: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which side goes first, so drift in the machine's load hits both alike.
    const order: ChildReport['mode'][] = round % 2 === 0 ? ['batching', 'array'] : ['array', 'batching'];
    const reports: ChildReport[] = [];
    for (const mode of order) reports.push(await measure(mode));
    const ours = reports.find((r) => r.mode === 'batching')!;
    const baseline = reports.find((r) => r.mode === 'array')!;
    ratios.push((ours.rssAfter - ours.rssBefore) / (baseline.rssAfter - baseline.rssBefore));
    batchingMiB.push(ours.rssAfter / MiB);
    bytesPerRequest.push((ours.rssAfter - ours.rssBefore) / COUNT);
  }
  const details = { requests: COUNT, rssGrowthBytesPerQueuedRequest: Math.round(median(bytesPerRequest)) };
  return [
    figure(
      'memory.queued-100k-vs-array',
      `RSS growth with ${COUNT.toLocaleString('en')} requests queued in the batcher / held in a plain array with a pending promise each`,
      ratios,
      { details },
    ),
    figure(
      'memory.queued-100k-rss',
      `resident memory of a process holding ${COUNT.toLocaleString('en')} queued requests`,
      batchingMiB,
      { unit: 'MiB', target: { op: '<=', value: 200 }, details },
    ),
  ];
}

export const memorySection: BenchSection = {
  name: 'memory',
  description:
    '100,000 queued requests in the batching adapter against a plain array of the same requests, fresh processes',
  run,
};

await runIfMain(import.meta, memorySection);
