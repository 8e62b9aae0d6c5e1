// `npm run report -- <logs> [options]` at the repository root (see USAGE).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';
import { NovaCostError, StaticPricingCatalog } from '@nova-cost/domain';
import type { ReportArgs } from './cli/parse-args';
import { parseReportArgs, USAGE } from './cli/parse-args';
import { silentProgress, stderrProgress } from './cli/progress';
import { loadPriceTable, loadReportPolicy } from './config/load-report-config';
import { LocalLogSource } from './logs/local-log-source';
import type { LogSource } from './logs/log-source.port';
import { parseS3Url, S3LogSource } from './logs/s3-log-source';
import { fetchGatewayReport } from './report/from-gateway';
import type { SavingsReport } from './report/report-data';
import { usd } from './report/render-html';
import { ReportError } from './report-error';
import { runReplay } from './run-replay';
import { writeSampleLogs } from './sample/write-sample-logs';
import { writeReport } from './write-report';

const SAMPLE_POLICY = fileURLToPath(new URL('./sample/sample-policy.json', import.meta.url));

async function replayReport(args: ReportArgs): Promise<SavingsReport> {
  const prices = loadPriceTable(args.prices);
  let logs = args.logs!;
  let policyPath = args.policy;
  if (logs === 'sample') {
    logs = join(args.out, 'sample-logs');
    await rm(logs, { recursive: true, force: true });
    const { files, records } = await writeSampleLogs(logs);
    if (!args.quiet)
      process.stderr.write(`sample: ${records.toLocaleString('en')} records in ${files} files under ${logs}\n`);
    policyPath ??= SAMPLE_POLICY;
  }
  const policy = loadReportPolicy(policyPath, new StaticPricingCatalog(prices));
  let source: LogSource;
  if (logs.startsWith('s3://')) {
    if (!parseS3Url(logs)) throw new ReportError('usage', `${logs} is not an s3://bucket/prefix URL`);
    const client = new S3Client({
      region: args.region ?? 'us-east-1',
      ...(args.s3Endpoint ? { endpoint: args.s3Endpoint, forcePathStyle: true } : {}),
    });
    source = new S3LogSource(client, logs);
  } else {
    source = new LocalLogSource(logs);
  }
  return runReplay({
    source,
    sourceName: logs,
    rules: policy.rules,
    identities: policy.identities,
    ...(policy.batch ? { batch: policy.batch } : {}),
    prices,
    reorderWindow: args.reorderWindow,
    showPrompts: args.showPrompts,
    progress: args.quiet ? silentProgress : stderrProgress(),
  });
}

async function main(): Promise<number> {
  const args = parseReportArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const report = args.fromGateway ? await fetchGatewayReport(args.fromGateway, args.apiKey!) : await replayReport(args);
  const { html, json } = await writeReport(report, args.out);
  const t = report.total;
  process.stdout.write(
    [
      `Bedrock bill ${usd(t.usdBefore)} → ${usd(t.usdAfter)} with nova-cost: ${usd(t.savedUsd)} saved (${(t.savedShare * 100).toFixed(1)}%) over ${t.calls.toLocaleString('en')} calls`,
      ...(report.problems.count > 0
        ? [`${report.problems.count.toLocaleString('en')} record(s) could not be read: named in the report`]
        : []),
      `report: ${html}`,
      `figures: ${json}`,
      '',
    ].join('\n'),
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ReportError || NovaCostError.is(err)) {
      process.stderr.write(`nova-cost report: ${err.message}\n`);
      if (err instanceof ReportError && err.kind === 'usage') process.stderr.write(`\n${USAGE}`);
      process.exit(err instanceof ReportError && err.kind === 'usage' ? 2 : 1);
    }
    process.stderr.write(
      `nova-cost report failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
