/**
 * `npm run bench` at the repository root: runs every section (or those named: `npm run bench -- cache gateway`),
 * prints one table, and writes bench/results/latest.json. Every figure is a ratio against a baseline measured in
 * the same run (or an absolute count with its baseline in `details`), a median over rounds with the spread.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { batchingSection } from './batching.bench';
import { bodiesSection } from './bodies.bench';
import { cacheSection } from './cache.bench';
import { deferredSection } from './deferred.bench';
import { gatewaySection } from './gateway.bench';
import { leversSection } from './levers.bench';
import type { BenchSection, Figure } from './lib/report';
import { formatTable } from './lib/report';
import { memorySection } from './memory.bench';
import { reportSection } from './report.bench';
import { sessionsSection } from './sessions.bench';
import { streamsSection } from './streams.bench';

const SECTIONS: readonly BenchSection[] = [
  cacheSection,
  batchingSection,
  gatewaySection,
  bodiesSection,
  deferredSection,
  streamsSection,
  sessionsSection,
  leversSection,
  memorySection,
  reportSection,
];
const RESULTS = fileURLToPath(new URL('../results/', import.meta.url));

interface SectionResult {
  readonly name: string;
  readonly description: string;
  readonly durationMs: number;
  readonly figures: readonly Figure[];
  readonly error?: string;
}

function selected(args: readonly string[]): readonly BenchSection[] {
  if (args.length === 0) return SECTIONS;
  const unknown = args.filter((a) => !SECTIONS.some((s) => s.name === a));
  if (unknown.length > 0) {
    console.error(`unknown bench section(s): ${unknown.join(', ')}; known: ${SECTIONS.map((s) => s.name).join(', ')}`);
    process.exit(2);
  }
  return SECTIONS.filter((s) => args.includes(s.name));
}

const results: SectionResult[] = [];
for (const section of selected(process.argv.slice(2))) {
  console.log(`\n# ${section.name}: ${section.description}`);
  const started = Date.now();
  try {
    const figures = await section.run();
    results.push({ name: section.name, description: section.description, durationMs: Date.now() - started, figures });
    console.log(formatTable(figures));
  } catch (error) {
    // One broken section must not hide the others' figures; the run still fails at the end.
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    console.error(`section ${section.name} failed: ${message}`);
    results.push({
      name: section.name,
      description: section.description,
      durationMs: Date.now() - started,
      figures: [],
      error: message,
    });
  }
}

const figures = results.flatMap((r) => r.figures);
const report = {
  date: new Date().toISOString(),
  machine: {
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    loadavg: os.loadavg(),
  },
  sections: results,
};
await mkdir(RESULTS, { recursive: true });
await writeFile(`${RESULTS}latest.json`, `${JSON.stringify(report, null, 2)}\n`);

console.log(`\n# summary (${figures.length} figures; ratios are ours / baseline unless the title says otherwise)`);
console.log(formatTable(figures));
const missed = figures.filter((f) => f.pass === false).map((f) => f.id);
const failed = results.filter((r) => r.error).map((r) => r.name);
console.log(
  `\nwritten: bench/results/latest.json${missed.length ? `; targets missed: ${missed.join(', ')}` : '; every target met'}`,
);
if (failed.length > 0) {
  console.error(`sections that failed: ${failed.join(', ')}`);
  process.exitCode = 1;
}
