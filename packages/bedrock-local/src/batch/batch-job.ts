/** Every status GetModelInvocationJob may report. */
export type BatchJobStatus =
  | 'Submitted'
  | 'Validating'
  | 'Scheduled'
  | 'InProgress'
  | 'Stopping'
  | 'Stopped'
  | 'Completed'
  | 'PartiallyCompleted'
  | 'Failed'
  | 'Expired';

export const FINISHED: ReadonlySet<BatchJobStatus> = new Set([
  'Stopped',
  'Completed',
  'PartiallyCompleted',
  'Failed',
  'Expired',
]);

/** One input line of a job. */
export interface BatchRecord {
  readonly recordId: string;
  readonly modelInput: Record<string, unknown>;
  /** The input file it came from (its output goes to `<name>.out`). */
  readonly file: string;
}

/** A job as the local endpoint keeps it. */
export interface BatchJob {
  readonly jobArn: string;
  readonly jobId: string;
  readonly jobName: string;
  readonly roleArn: string;
  readonly modelId: string;
  readonly clientRequestToken: string | undefined;
  readonly invocationType: 'InvokeModel' | 'Converse';
  readonly inputS3Uri: string;
  readonly outputS3Uri: string;
  readonly timeoutDurationInHours: number;
  readonly submitTime: number;
  lastModifiedTime: number;
  endTime: number | undefined;
  status: BatchJobStatus;
  message: string | undefined;
  records: readonly BatchRecord[];
  stopRequestedAt: number | undefined;
  processedRecordCount: number;
  successRecordCount: number;
  errorRecordCount: number;
}

/** What stats() tells about a job. */
export interface BatchJobSnapshot {
  readonly jobArn: string;
  readonly jobName: string;
  readonly clientRequestToken: string | undefined;
  readonly modelId: string;
  readonly status: BatchJobStatus;
  readonly records: number;
}

/** The job as GetModelInvocationJob answers it (timestamps as ISO-8601, Bedrock's date-time format). */
export function jobView(job: BatchJob): Record<string, unknown> {
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  return {
    jobArn: job.jobArn,
    jobName: job.jobName,
    modelId: job.modelId,
    roleArn: job.roleArn,
    ...(job.clientRequestToken === undefined ? {} : { clientRequestToken: job.clientRequestToken }),
    status: job.status,
    ...(job.message === undefined ? {} : { message: job.message }),
    submitTime: iso(job.submitTime),
    lastModifiedTime: iso(job.lastModifiedTime),
    ...(job.endTime === undefined ? {} : { endTime: iso(job.endTime) }),
    inputDataConfig: { s3InputDataConfig: { s3Uri: job.inputS3Uri, s3InputFormat: 'JSONL' } },
    outputDataConfig: { s3OutputDataConfig: { s3Uri: job.outputS3Uri } },
    timeoutDurationInHours: job.timeoutDurationInHours,
    jobExpirationTime: iso(job.submitTime + job.timeoutDurationInHours * 3_600_000),
    modelInvocationType: job.invocationType,
    totalRecordCount: job.records.length,
    processedRecordCount: job.processedRecordCount,
    successRecordCount: job.successRecordCount,
    errorRecordCount: job.errorRecordCount,
  };
}
