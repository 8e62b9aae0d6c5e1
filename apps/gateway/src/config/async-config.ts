import { NovaCostError } from '@nova-cost/domain';

type Env = Readonly<Record<string, string | undefined>>;

/** The async API (StartAsyncInvoke & co.): where its state and the batch jobs' files live, and how it batches. */
export interface AsyncInvokeConfig {
  /** NOVA_COST_ASYNC_BUCKET. */
  readonly bucket: string;
  /** NOVA_COST_ASYNC_ROLE_ARN: the service role Bedrock runs batch jobs with. */
  readonly roleArn: string;
  /** NOVA_COST_ASYNC_PREFIX. @default 'nova-cost/async/' */
  readonly prefix: string;
  /** NOVA_COST_S3_ENDPOINT: an S3-compatible endpoint (path-style). @default S3 in AWS_REGION */
  readonly s3Endpoint?: string;
  /** The embedded default's: the local endpoint's S3, bucket created at start. */
  readonly local: boolean;
  /** NOVA_COST_ASYNC_DEFAULT_DEADLINE_MS: the deadline of a submission that sets none. @default 86400000 (24 h) */
  readonly defaultDeadlineMs?: number;
  /**
   * NOVA_COST_ASYNC_ON_DEMAND_TIER: the service tier of a submission answered on demand rather than in a batch job
   * (deadline, too few records in time, a failed or stopped job): 'flex' (Bedrock's Flex tier where the model offers
   * it, else standard) or 'standard'. @default 'flex'
   */
  readonly onDemandTier: 'flex' | 'standard';
  /** Queue tuning from NOVA_COST_ASYNC_* variables; absent fields take the queue's defaults. */
  readonly queue: {
    readonly minRecords?: number;
    readonly maxRecords?: number;
    readonly maxWaitMs?: number;
    readonly jobTurnaroundMs?: number;
    readonly stopLeadMs?: number;
    readonly tickMs?: number;
    readonly pollMinMs?: number;
    readonly pollMaxMs?: number;
  };
}

/** The local bucket and role of the embedded default (no AWS account behind them). */
export const LOCAL_ASYNC_BUCKET = 'nova-cost-async';
const LOCAL_ROLE = 'arn:aws:iam::000000000000:role/nova-cost-local-batch';

function bad(variable: string, message: string): NovaCostError {
  return new NovaCostError('configuration', `${variable} ${message}`, { details: { variable } });
}

/** Queue settings a variable may set: the variable, the option, and its bounds. */
const TUNING = [
  ['NOVA_COST_ASYNC_MIN_RECORDS', 'minRecords', 1, 1_000_000],
  ['NOVA_COST_ASYNC_MAX_RECORDS', 'maxRecords', 1, 1_000_000],
  ['NOVA_COST_ASYNC_MAX_WAIT_MS', 'maxWaitMs', 0, 7 * 86_400_000],
  ['NOVA_COST_ASYNC_TURNAROUND_MS', 'jobTurnaroundMs', 0, 7 * 86_400_000],
  ['NOVA_COST_ASYNC_STOP_LEAD_MS', 'stopLeadMs', 0, 7 * 86_400_000],
  ['NOVA_COST_ASYNC_TICK_MS', 'tickMs', 1, 3_600_000],
  ['NOVA_COST_ASYNC_POLL_MIN_MS', 'pollMinMs', 1, 3_600_000],
  ['NOVA_COST_ASYNC_POLL_MAX_MS', 'pollMaxMs', 1, 3_600_000],
] as const;

function integer(env: Env, variable: string, min: number, max: number): number | undefined {
  const raw = env[variable];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max)
    throw bad(variable, `must be an integer from ${min} to ${max}, got ${JSON.stringify(raw.slice(0, 40))}`);
  return Number(raw);
}

/**
 * The async API's configuration: from NOVA_COST_ASYNC_BUCKET and NOVA_COST_ASYNC_ROLE_ARN (both, or neither), or,
 * in the embedded default, the local endpoint's S3. Calling real Bedrock without a bucket leaves the API off.
 */
export function asyncInvokeConfig(env: Env, embedded: boolean): AsyncInvokeConfig | undefined {
  const bucket = env['NOVA_COST_ASYNC_BUCKET'] || undefined;
  const roleArn = env['NOVA_COST_ASYNC_ROLE_ARN'] || undefined;
  if (bucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    throw bad('NOVA_COST_ASYNC_BUCKET', `must be an S3 bucket name, got ${JSON.stringify(bucket.slice(0, 70))}`);
  if (roleArn !== undefined && !/^arn:aws(-[^:]+)?:iam::\d{12}:role\/.+$/.test(roleArn))
    throw bad('NOVA_COST_ASYNC_ROLE_ARN', `must be an IAM role ARN, got ${JSON.stringify(roleArn.slice(0, 120))}`);
  if ((bucket === undefined) !== (roleArn === undefined)) {
    throw bad(
      bucket === undefined ? 'NOVA_COST_ASYNC_BUCKET' : 'NOVA_COST_ASYNC_ROLE_ARN',
      'must be set together with ' +
        (bucket === undefined ? 'NOVA_COST_ASYNC_ROLE_ARN' : 'NOVA_COST_ASYNC_BUCKET') +
        ': the async API needs a bucket and the role Bedrock runs batch jobs with',
    );
  }
  if (bucket === undefined && !embedded) return undefined;
  const prefix = env['NOVA_COST_ASYNC_PREFIX'] ?? 'nova-cost/async/';
  if (!/^([A-Za-z0-9!_.*'()-]+\/)*$/.test(prefix))
    throw bad('NOVA_COST_ASYNC_PREFIX', `must be empty or end with "/", got ${JSON.stringify(prefix.slice(0, 70))}`);
  const s3Endpoint = env['NOVA_COST_S3_ENDPOINT'] || undefined;
  if (s3Endpoint !== undefined && !/^https?:\/\/[^/\s]+/.test(s3Endpoint))
    throw bad(
      'NOVA_COST_S3_ENDPOINT',
      `must be an http:// or https:// URL, got ${JSON.stringify(s3Endpoint.slice(0, 70))}`,
    );
  const queue: Record<string, number> = {};
  for (const [variable, option, min, max] of TUNING) {
    const value = integer(env, variable, min, max);
    if (value !== undefined) queue[option] = value;
  }
  const defaultDeadlineMs = integer(env, 'NOVA_COST_ASYNC_DEFAULT_DEADLINE_MS', 1, 30 * 86_400_000);
  const onDemandTier = env['NOVA_COST_ASYNC_ON_DEMAND_TIER'] || 'flex';
  if (onDemandTier !== 'flex' && onDemandTier !== 'standard')
    throw bad(
      'NOVA_COST_ASYNC_ON_DEMAND_TIER',
      `must be flex or standard, got ${JSON.stringify(onDemandTier.slice(0, 40))}`,
    );
  return {
    bucket: bucket ?? LOCAL_ASYNC_BUCKET,
    roleArn: roleArn ?? LOCAL_ROLE,
    prefix,
    ...(s3Endpoint ? { s3Endpoint } : {}),
    local: bucket === undefined,
    ...(defaultDeadlineMs !== undefined ? { defaultDeadlineMs } : {}),
    onDemandTier,
    queue,
  };
}
