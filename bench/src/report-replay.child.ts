/**
 * Child process of report.bench.ts: reads one generated log set and prints, as JSON on stdout, how many records it
 * handled, how long that took and its peak resident memory. Run with `node --import tsx report-replay.child.ts <mode> <dir> [files]`:
 *   - `baseline`: what any reader must do at least: gunzip every file and JSON.parse every line;
 *   - `report`: the savings report's whole replay (read, parse, time order, policy, request key, simulated cache,
 *     pricing, tally) with the sample's policy, the first `files` files only when given.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { StaticPricingCatalog } from '@nova-cost/domain';
import type { LogSource } from '@nova-cost/report';
import { LocalLogSource, loadReportPolicy, runReplay } from '@nova-cost/report';

const [mode, dir, limit] = process.argv.slice(2);
if ((mode !== 'baseline' && mode !== 'report') || !dir)
  throw new Error(`usage: report-replay.child.ts baseline|report <dir> [files], got ${mode} ${dir}`);
const SAMPLE_POLICY = fileURLToPath(new URL('../../apps/report/src/sample/sample-policy.json', import.meta.url));

const all = await new LocalLogSource(dir).files();
const files = limit === undefined ? all : all.slice(0, Number(limit));
const started = performance.now();
let records = 0;
if (mode === 'baseline') {
  for (const file of files) {
    const lines = createInterface({ input: createReadStream(file.name).pipe(createGunzip()), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line.length === 0) continue;
      JSON.parse(line);
      records += 1;
    }
  }
} else {
  const policy = loadReportPolicy(SAMPLE_POLICY, new StaticPricingCatalog());
  const source: LogSource = { files: async () => files };
  const report = await runReplay({ source, sourceName: dir, rules: policy.rules, identities: policy.identities });
  records = report.records.read;
  if (report.problems.count > 0)
    throw new Error(
      `${report.problems.count} records could not be read: ${JSON.stringify(report.problems.named.slice(0, 3))}`,
    );
}
const ms = performance.now() - started;
// maxRSS is in KiB on Linux.
process.stdout.write(
  `${JSON.stringify({ mode, records, ms, peakRssBytes: process.resourceUsage().maxRSS * 1024, files: files.length, bytes: (await Promise.all(files.map((f) => readFile(f.name).then((b) => b.length)))).reduce((a, b) => a + b, 0) })}\n`,
);
