import type { CostPolicyRules, ModelPrice } from '@nova-cost/domain';
import { StaticPricingCatalog } from '@nova-cost/domain';
import type { LogSource } from './logs/log-source.port';
import { readLogRecords } from './logs/read-log-records';
import { ReadProblems } from './logs/read-problems';
import { ReorderWindow } from './logs/reorder-window';
import { buildReplayReport } from './report/build-report';
import type { SavingsReport } from './report/report-data';
import { SavingsTally } from './report/savings-tally';
import type { IdentityRule } from './replay/identity-rules';
import { IdentityMap } from './replay/identity-rules';
import { ReplayEngine } from './replay/replay-engine';
import type { ReplayBatchOptions } from './replay/replay-batch-queue';
import type { ReplayUpstream } from './replay/replay-upstream';

/** Told how far a replay has read. */
export interface ReplayProgress {
  start(totalBytes: number, files: number): void;
  advance(bytes: number, records: number): void;
  stop(): void;
}

export interface RunReplayOptions {
  readonly source: LogSource;
  /** How the source is named in the report (a path or s3:// URL). */
  readonly sourceName: string;
  /** @default {} (the domain's default policy) */
  readonly rules?: CostPolicyRules;
  /** @default [] (tenant from the caller's IAM role or user) */
  readonly identities?: readonly IdentityRule[];
  /** @default DEFAULT_PRICES */
  readonly prices?: readonly ModelPrice[];
  /** Records held to put the logs in time order. @default 10000 */
  readonly reorderWindow?: number;
  /** Keep a preview of the most repeated prompts' text. @default false */
  readonly showPrompts?: boolean;
  /** @default plannedUpstream (the logged answers, with the policy's output caps and service tiers applied) */
  readonly upstream?: ReplayUpstream;
  /** The batch job queue's quotas and timing for deferrable callers. @default the gateway's (BATCH_JOB_DEFAULTS) */
  readonly batch?: ReplayBatchOptions;
  /** Told the total stored bytes once the files are listed, then bytes as they are read. @default ignore */
  readonly progress?: ReplayProgress;
  /** @default now */
  readonly now?: Date;
}

/** Reads a log set, replays it through the domain in time order and returns the report's figures. */
export async function runReplay(options: RunReplayOptions): Promise<SavingsReport> {
  const files = await options.source.files();
  const pricing = new StaticPricingCatalog(options.prices);
  const engine = new ReplayEngine({
    rules: options.rules ?? {},
    pricing,
    identities: new IdentityMap(options.identities),
    ...(options.upstream ? { upstream: options.upstream } : {}),
    ...(options.batch ? { batch: options.batch } : {}),
  });
  const tally = new SavingsTally(options.showPrompts ?? false);
  const problems = new ReadProblems();
  const window = new ReorderWindow(options.reorderWindow ?? 10_000);
  const progress = options.progress;
  progress?.start(
    files.reduce((sum, f) => sum + f.size, 0),
    files.length,
  );
  let records = 0;
  let pendingBytes = 0;
  try {
    for await (const call of readLogRecords(files, problems, { onBytes: (n) => (pendingBytes += n) })) {
      records += 1;
      const ready = window.push(call);
      if (ready) for (const r of await engine.replay(ready)) tally.add(r);
      if (pendingBytes > 0 && records % 256 === 0) {
        progress?.advance(pendingBytes, records);
        pendingBytes = 0;
      }
    }
    for (const call of window.drain()) for (const r of await engine.replay(call)) tally.add(r);
    for (const r of await engine.finish()) tally.add(r);
    progress?.advance(pendingBytes, records);
  } finally {
    progress?.stop();
  }
  return buildReplayReport(tally, pricing, {
    source: options.sourceName,
    files: files.length,
    records,
    late: window.late,
    problems: problems.summary(),
    reorderWindow: options.reorderWindow ?? 10_000,
    ...(options.now ? { now: options.now } : {}),
  });
}
