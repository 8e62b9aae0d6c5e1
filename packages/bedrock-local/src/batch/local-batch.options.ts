import { NovaCostError } from '@nova-cost/domain';

/** How jobs end when a fault says they do not complete. */
export type LocalBatchJobEnding = 'Failed' | 'PartiallyCompleted' | 'Expired';

export interface LocalBatchFaults {
  /** Records whose modelInput, as JSON, contains this text get a per-record error (errorCode 400) instead of an output. @default none */
  recordErrorWhenInputContains?: string;
  /** Share 0..1 of records answered with a per-record error (seeded dice). @default 0 */
  recordErrorRate?: number;
  /** The next N jobs to finish end as `endJobsAs` instead of Completed. @default 0 */
  failNextJobs?: number;
  /** Failed and Expired write no output; PartiallyCompleted writes the first half of the records. @default 'Failed' */
  endJobsAs?: LocalBatchJobEnding;
  /** The next N CreateModelInvocationJob calls are refused with ThrottlingException 429 (nothing is created). @default 0 */
  refuseNextCreates?: number;
}

export interface LocalBatchOptions {
  /** How long a job runs on the batch clock before it finishes. @default 0 (finished at the first look after its creation) */
  jobDurationMs?: number;
  /** Bedrock's "minimum number of records per batch inference job": a job with fewer fails validation. @default 100 */
  minRecords?: number;
  /** Bedrock's "records per batch inference job": a job with more fails validation. @default 50000 */
  maxRecords?: number;
  /** Write output lines in another order than the input's (Bedrock does not keep the order). @default true */
  shuffleOutput?: boolean;
  /**
   * The batch clock in ms: jobs start, run and expire by it. @default Date.now; advance() moves it forward either way
   */
  clock?: () => number;
  faults?: LocalBatchFaults;
}

export interface ResolvedBatchFaults {
  readonly recordErrorWhenInputContains: string | undefined;
  readonly recordErrorRate: number;
  readonly failNextJobs: number;
  readonly endJobsAs: LocalBatchJobEnding;
  readonly refuseNextCreates: number;
}

export interface ResolvedBatchOptions {
  readonly jobDurationMs: number;
  readonly minRecords: number;
  readonly maxRecords: number;
  readonly shuffleOutput: boolean;
  readonly clock: () => number;
  readonly faults: ResolvedBatchFaults;
}

const ENDINGS: readonly LocalBatchJobEnding[] = ['Failed', 'PartiallyCompleted', 'Expired'];

function bad(message: string): NovaCostError {
  return new NovaCostError('configuration', message);
}

function count(o: Record<string, unknown>, key: string, fallback: number, min = 0): number {
  const v = o[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw bad(`batch.${key} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

function object(value: unknown, name: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad(`${name} must be an object, got ${JSON.stringify(value)}`);
  return value as Record<string, unknown>;
}

export const NO_BATCH_FAULTS: ResolvedBatchFaults = {
  recordErrorWhenInputContains: undefined,
  recordErrorRate: 0,
  failNextJobs: 0,
  endJobsAs: 'Failed',
  refuseNextCreates: 0,
};

/** Validates batch faults; absent fields keep their value from `base`. */
export function resolveBatchFaults(value: unknown, base: ResolvedBatchFaults = NO_BATCH_FAULTS): ResolvedBatchFaults {
  const o = object(value, 'batch.faults');
  const contains = o['recordErrorWhenInputContains'] ?? base.recordErrorWhenInputContains;
  if (contains !== undefined && (typeof contains !== 'string' || contains === ''))
    throw bad(`batch.faults.recordErrorWhenInputContains must be a non-empty string, got ${JSON.stringify(contains)}`);
  const rate = o['recordErrorRate'] ?? base.recordErrorRate;
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1))
    throw bad(`batch.faults.recordErrorRate must be a number from 0 to 1, got ${JSON.stringify(rate)}`);
  const endJobsAs = o['endJobsAs'] ?? base.endJobsAs;
  if (!ENDINGS.includes(endJobsAs as LocalBatchJobEnding))
    throw bad(`batch.faults.endJobsAs must be one of ${ENDINGS.join(', ')}, got ${JSON.stringify(endJobsAs)}`);
  return {
    recordErrorWhenInputContains: contains as string | undefined,
    recordErrorRate: rate,
    failNextJobs: count(o, 'failNextJobs', base.failNextJobs),
    endJobsAs: endJobsAs as LocalBatchJobEnding,
    refuseNextCreates: count(o, 'refuseNextCreates', base.refuseNextCreates),
  };
}

export function resolveBatchOptions(value: unknown): ResolvedBatchOptions {
  const o = object(value, 'batch');
  const duration = o['jobDurationMs'] ?? 0;
  if (typeof duration !== 'number' || !Number.isFinite(duration) || duration < 0)
    throw bad(`batch.jobDurationMs must be a finite number >= 0, got ${JSON.stringify(duration)}`);
  const clock = o['clock'] ?? Date.now;
  if (typeof clock !== 'function') throw bad('batch.clock must be a function returning milliseconds');
  const shuffle = o['shuffleOutput'] ?? true;
  if (typeof shuffle !== 'boolean') throw bad(`batch.shuffleOutput must be a boolean, got ${JSON.stringify(shuffle)}`);
  const minRecords = count(o, 'minRecords', 100, 1);
  const maxRecords = count(o, 'maxRecords', 50_000, 1);
  if (maxRecords < minRecords)
    throw bad(`batch.maxRecords (${maxRecords}) must not be below batch.minRecords (${minRecords})`);
  return {
    jobDurationMs: duration,
    minRecords,
    maxRecords,
    shuffleOutput: shuffle,
    clock: clock as () => number,
    faults: resolveBatchFaults(o['faults']),
  };
}
