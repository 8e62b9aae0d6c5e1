/**
 * Issue 20 benchmark: the savings report replaying a generated log of 1,000,000 records (the seeded sample
 * workload over 30 days, as Bedrock delivers it: gzip JSON lines, one file per hour), each side in a fresh child
 * process (report-replay.child.ts), rounds interleaved.
 *
 *   npm run bench -- report     or alone: cd bench && npx tsx src/report.bench.ts
 *   About 15 minutes on an idle 2-core machine (generating the log 1–2, each of the four replays about 3), much
 *   longer on a busy one; REPORT_BENCH_RECORDS=200000 for a quick look.
 *
 * Figures, each against a baseline measured in the same run:
 *   1. records per second of the whole replay / records per second of a bare gunzip + JSON.parse of the same files
 *   2. peak resident memory of the replay / of that baseline
 *   3. peak resident memory replaying all the records / replaying the first quarter of the files: memory stays
 *      flat as the log grows                                                                        (target ≤ 1.5)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSampleLogs } from '@nova-cost/report';
import type { BenchSection, Figure } from './lib/report';
import { runJsonChild } from './lib/json-child';
import { figure, runIfMain } from './lib/report';
import { median } from './lib/stats';

const RECORDS = Number(process.env['REPORT_BENCH_RECORDS'] ?? 1_000_000);
const ROUNDS = 3;
const CHILD = fileURLToPath(new URL('./report-replay.child.ts', import.meta.url));
const MiB = 1024 * 1024;

interface ChildReport {
  readonly mode: 'baseline' | 'report';
  readonly records: number;
  readonly ms: number;
  readonly peakRssBytes: number;
  readonly files: number;
  readonly bytes: number;
}

function measure(mode: ChildReport['mode'], dir: string, files?: number): Promise<ChildReport> {
  return runJsonChild<ChildReport>(CHILD, [mode, dir, ...(files === undefined ? [] : [String(files)])], {
    timeoutMs: 1_800_000,
  });
}

async function run(): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'nova-cost-bench-report-'));
  try {
    const generated = await writeSampleLogs(dir, { records: RECORDS, days: 30 });
    const speed: number[] = [];
    const memory: number[] = [];
    const ours: ChildReport[] = [];
    const baselines: ChildReport[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which side goes first, so drift in the machine's load hits both alike.
      const order: ChildReport['mode'][] = round % 2 === 0 ? ['report', 'baseline'] : ['baseline', 'report'];
      const got: ChildReport[] = [];
      for (const mode of order) got.push(await measure(mode, dir));
      const r = got.find((g) => g.mode === 'report')!;
      const b = got.find((g) => g.mode === 'baseline')!;
      if (r.records !== RECORDS || b.records !== RECORDS)
        throw new Error(`expected ${RECORDS} records, the report read ${r.records} and the baseline ${b.records}`);
      ours.push(r);
      baselines.push(b);
      speed.push(r.records / r.ms / (b.records / b.ms));
      memory.push(r.peakRssBytes / b.peakRssBytes);
    }
    const quarter = await measure('report', dir, Math.ceil(generated.files / 4));
    const full = median(ours.map((r) => r.peakRssBytes));
    const details = {
      records: RECORDS,
      files: generated.files,
      gzipMiB: Math.round((ours[0]!.bytes / MiB) * 10) / 10,
      reportRecordsPerSecond: Math.round(median(ours.map((r) => (r.records / r.ms) * 1000))),
      baselineRecordsPerSecond: Math.round(median(baselines.map((b) => (b.records / b.ms) * 1000))),
      reportPeakRssMiB: Math.round(full / MiB),
      baselinePeakRssMiB: Math.round(median(baselines.map((b) => b.peakRssBytes)) / MiB),
      quarterRecords: quarter.records,
      quarterPeakRssMiB: Math.round(quarter.peakRssBytes / MiB),
    };
    const n = RECORDS.toLocaleString('en');
    return [
      figure(
        'report.records-per-second-vs-parse',
        `records/s replaying ${n} logged calls / records/s of gunzip + JSON.parse of the same files`,
        speed,
        { details },
      ),
      figure(
        'report.records-per-second',
        `records/s replaying ${n} logged calls`,
        ours.map((r) => (r.records / r.ms) * 1000),
        { unit: 'req/s', details },
      ),
      figure(
        'report.peak-rss-vs-parse',
        `peak RSS replaying ${n} logged calls / peak RSS of gunzip + JSON.parse`,
        memory,
        { details },
      ),
      figure(
        'report.peak-rss',
        `peak RSS replaying ${n} logged calls`,
        ours.map((r) => r.peakRssBytes / MiB),
        { unit: 'MiB', details },
      ),
      figure(
        'report.peak-rss-growth',
        `peak RSS replaying all ${n} records / replaying the first quarter of the files (${quarter.records.toLocaleString('en')} records)`,
        [full / quarter.peakRssBytes],
        {
          target: { op: '<=', value: 1.5 },
          details,
        },
      ),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const reportSection: BenchSection = {
  name: 'report',
  description:
    'the savings report replaying a generated 1,000,000-record invocation log, against gunzip + JSON.parse of it',
  run,
};

await runIfMain(import.meta, reportSection);
