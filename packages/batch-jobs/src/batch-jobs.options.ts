import type { Clock } from '@nova-cost/domain';
import { BATCH_JOB_DEFAULTS, NovaCostError } from '@nova-cost/domain';

/** Per-model batch quotas, where a model's differ from the defaults. */
export interface BatchLimits {
  /** Fewest records a job may have: Bedrock's "minimum number of records per batch inference job". */
  readonly minRecords?: number;
  /** Most records a job may have: Bedrock's "records per batch inference job". */
  readonly maxRecords?: number;
}

export interface BatchJobQueueOptions {
  /** The bucket that keeps the queue's state, the jobs' inputs and their outputs. */
  readonly bucket: string;
  /** Key prefix of everything the queue writes (give it a lifecycle rule). @default 'nova-cost/async/' */
  readonly prefix?: string;
  /** The service role Bedrock runs the jobs with (reads the inputs, writes the outputs). */
  readonly roleArn: string;
  /** @default 100 (Bedrock's quota for most models) */
  readonly minRecords?: number;
  /** @default 50000 (Bedrock's quota for most models) */
  readonly maxRecords?: number;
  /** Quotas of models that differ, by base model id. @default {} */
  readonly limitsByModel?: Readonly<Record<string, BatchLimits>>;
  /** Largest job input file; a group reaching it is sent. @default 1073741824 (1 GiB, Bedrock's quota) */
  readonly maxInputBytes?: number;
  /** A group with at least the minimum records is sent once its oldest call has waited this long. @default 900000 (15 min) */
  readonly maxWaitMs?: number;
  /**
   * How long a job is taken to need, start to finish: a call is in a job sent at the latest this long before its
   * deadline, or else answered on demand. @default 21600000 (6 h)
   */
  readonly jobTurnaroundMs?: number;
  /**
   * A job still running this long before the earliest deadline of the calls it has not answered is stopped: what it
   * answered by then is kept (billed as batch), the rest is answered on demand in the time left. @default 1800000 (30 min)
   */
  readonly stopLeadMs?: number;
  /** The jobs' timeoutDurationInHours (24 to 168). @default 24 */
  readonly jobTimeoutHours?: number;
  /** First wait before polling a running job; it doubles after each poll that finds no change. @default 30000 */
  readonly pollMinMs?: number;
  /** Longest wait between two polls of a job. @default 300000 (5 min) */
  readonly pollMaxMs?: number;
  /** How often the queue works (sends due groups, polls due jobs); 0: only when tick() is called. @default 5000 */
  readonly tickMs?: number;
  /** Calls answered on demand at once. @default 8 */
  readonly onDemandConcurrency?: number;
  /** @default the system clock */
  readonly clock?: Clock;
  /** Told of work that failed and will be tried again (a job that could not be created, polled or read). @default ignore */
  readonly onError?: (error: unknown, context: string) => void;
}

export interface ResolvedQueueOptions {
  readonly bucket: string;
  readonly prefix: string;
  readonly roleArn: string;
  readonly minRecords: number;
  readonly maxRecords: number;
  readonly limitsByModel: ReadonlyMap<string, BatchLimits>;
  readonly maxInputBytes: number;
  readonly maxWaitMs: number;
  readonly jobTurnaroundMs: number;
  readonly stopLeadMs: number;
  readonly jobTimeoutHours: number;
  readonly pollMinMs: number;
  readonly pollMaxMs: number;
  readonly tickMs: number;
  readonly onDemandConcurrency: number;
}

function bad(message: string): NovaCostError {
  return new NovaCostError('configuration', `batch job queue: ${message}`);
}

function whole(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max)
    throw bad(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return value;
}

/** Validates the options, naming the one that is wrong. */
export function resolveQueueOptions(o: BatchJobQueueOptions): ResolvedQueueOptions {
  if (typeof o.bucket !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(o.bucket))
    throw bad(`bucket must be an S3 bucket name, got ${JSON.stringify(o.bucket)}`);
  if (typeof o.roleArn !== 'string' || !/^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role\/.+$/.test(o.roleArn))
    throw bad(`roleArn must be an IAM role ARN, got ${JSON.stringify(o.roleArn)}`);
  const prefix = o.prefix ?? 'nova-cost/async/';
  if (!/^([A-Za-z0-9!_.*'()-]+\/)*$/.test(prefix))
    throw bad(
      `prefix must be empty or end with "/" (letters, digits, !_.*'()- between slashes), got ${JSON.stringify(prefix)}`,
    );
  const minRecords = whole('minRecords', o.minRecords, BATCH_JOB_DEFAULTS.minRecords, 1);
  const maxRecords = whole('maxRecords', o.maxRecords, BATCH_JOB_DEFAULTS.maxRecords, minRecords);
  for (const [model, limits] of Object.entries(o.limitsByModel ?? {})) {
    const min = whole(`limitsByModel[${model}].minRecords`, limits.minRecords, minRecords, 1);
    whole(`limitsByModel[${model}].maxRecords`, limits.maxRecords, Math.max(min, maxRecords), min);
  }
  const pollMinMs = whole('pollMinMs', o.pollMinMs, 30_000, 1);
  return {
    bucket: o.bucket,
    prefix,
    roleArn: o.roleArn,
    minRecords,
    maxRecords,
    limitsByModel: new Map(Object.entries(o.limitsByModel ?? {})),
    maxInputBytes: whole('maxInputBytes', o.maxInputBytes, BATCH_JOB_DEFAULTS.maxInputBytes, 1024),
    maxWaitMs: whole('maxWaitMs', o.maxWaitMs, BATCH_JOB_DEFAULTS.maxWaitMs, 0),
    jobTurnaroundMs: whole('jobTurnaroundMs', o.jobTurnaroundMs, BATCH_JOB_DEFAULTS.jobTurnaroundMs, 0),
    stopLeadMs: whole('stopLeadMs', o.stopLeadMs, 1_800_000, 0),
    jobTimeoutHours: whole('jobTimeoutHours', o.jobTimeoutHours, 24, 24, 168),
    pollMinMs,
    pollMaxMs: whole('pollMaxMs', o.pollMaxMs, 300_000, pollMinMs),
    tickMs: whole('tickMs', o.tickMs, 5_000, 0),
    onDemandConcurrency: whole('onDemandConcurrency', o.onDemandConcurrency, 8, 1, 1000),
  };
}

/** The quotas that apply to a model. */
export function limitsOf(
  options: ResolvedQueueOptions,
  baseModelId: string,
): { minRecords: number; maxRecords: number } {
  const own = options.limitsByModel.get(baseModelId);
  return { minRecords: own?.minRecords ?? options.minRecords, maxRecords: own?.maxRecords ?? options.maxRecords };
}
