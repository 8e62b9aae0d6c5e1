import { createHash } from 'node:crypto';
import { answerModelCall } from '../model-dispatch';
import { lookUpModel } from '../model-route';
import { PromptCaching } from '../prompt-caching';
import { isObject } from '../prompt';
import type { LocalS3Store } from '../s3/local-s3-store';
import { LocalS3Refusal } from '../s3/local-s3-store';
import { parseS3Uri } from '../s3/s3-uri';
import { seededDice } from '../seeded-dice';
import { WireError, validation } from '../wire-error';
import type { BatchJob, BatchJobSnapshot, BatchRecord } from './batch-job';
import { FINISHED, jobView } from './batch-job';
import type { LocalBatchFaults, ResolvedBatchOptions } from './local-batch.options';
import { resolveBatchFaults } from './local-batch.options';

const JOB_NAME = /^[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9+\-.]){0,63}$/;
const ROLE_ARN = /^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role\/.+$/;
const TOKEN = /^[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}$/;
const ACCOUNT = '123456789012';

/**
 * Bedrock's batch inference control plane, on a clock of its own: jobs read their JSONL input from the local S3,
 * run for `jobDurationMs`, and write one `<input file>.out` per input file (shuffled) and `manifest.json.out` under
 * `<output uri>/<job id>/`, as Bedrock does. A job's state moves when it is looked at (Get, List, Stop).
 */
export class LocalBatchJobs {
  private readonly jobs = new Map<string, BatchJob>();
  private readonly byToken = new Map<string, string>();
  private offsetMs = 0;
  private dice: () => number;
  private faults;
  private created = 0;

  constructor(
    private readonly s3: LocalS3Store,
    private readonly options: ResolvedBatchOptions,
    private readonly seed: number,
  ) {
    this.dice = seededDice(seed);
    this.faults = options.faults;
  }

  /** The batch clock, ms. */
  now(): number {
    return this.options.clock() + this.offsetMs;
  }

  /** Moves the batch clock forward. */
  advance(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) throw validation(`advance takes a number of ms >= 0, got ${ms}`);
    this.offsetMs += ms;
  }

  configure(faults: LocalBatchFaults): void {
    this.faults = resolveBatchFaults(faults, this.faults);
  }

  reset(): void {
    this.jobs.clear();
    this.byToken.clear();
    this.dice = seededDice(this.seed);
    this.faults = this.options.faults;
    this.created = 0;
  }

  snapshot(): BatchJobSnapshot[] {
    return [...this.jobs.values()].map((j) => ({
      jobArn: j.jobArn,
      jobName: j.jobName,
      clientRequestToken: j.clientRequestToken,
      modelId: j.modelId,
      status: j.status,
      records: j.records.length,
    }));
  }

  /** CreateModelInvocationJob: the job's ARN. The same clientRequestToken again answers the job it created. */
  create(body: Record<string, unknown>): { jobArn: string } {
    const token = optionalString(body, 'clientRequestToken');
    if (token !== undefined && !TOKEN.test(token))
      throw validation(
        "1 validation error detected: Value at 'clientRequestToken' failed to satisfy constraint: Member must satisfy regular expression pattern",
      );
    const existing = token === undefined ? undefined : this.byToken.get(token);
    if (existing) return { jobArn: existing };
    const jobName = requiredString(body, 'jobName');
    if (!JOB_NAME.test(jobName))
      throw validation(
        "1 validation error detected: Value at 'jobName' failed to satisfy constraint: Member must satisfy regular expression pattern",
      );
    const roleArn = requiredString(body, 'roleArn');
    if (!ROLE_ARN.test(roleArn))
      throw validation(
        "1 validation error detected: Value at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern",
      );
    const modelId = requiredString(body, 'modelId');
    lookUpModel(modelId);
    const inputS3Uri = nestedUri(body, 'inputDataConfig', 's3InputDataConfig');
    const outputS3Uri = nestedUri(body, 'outputDataConfig', 's3OutputDataConfig');
    const invocationType = body['modelInvocationType'] ?? 'InvokeModel';
    if (invocationType !== 'InvokeModel' && invocationType !== 'Converse')
      throw validation(
        "1 validation error detected: Value at 'modelInvocationType' failed to satisfy constraint: Member must satisfy enum value set: [InvokeModel, Converse]",
      );
    const timeout = body['timeoutDurationInHours'] ?? 168;
    if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 24 || timeout > 168)
      throw validation(
        "1 validation error detected: Value at 'timeoutDurationInHours' failed to satisfy constraint: Member must have value between 24 and 168",
      );
    if (this.faults.refuseNextCreates > 0) {
      this.faults = { ...this.faults, refuseNextCreates: this.faults.refuseNextCreates - 1 };
      throw new WireError(429, 'ThrottlingException', 'Too many requests, please wait before trying again.');
    }
    const jobId = createHash('sha256').update(`${jobName}|${this.created++}|${this.seed}`).digest('hex').slice(0, 12);
    const jobArn = `arn:aws:bedrock:us-east-1:${ACCOUNT}:model-invocation-job/${jobId}`;
    const now = this.now();
    const job: BatchJob = {
      jobArn,
      jobId,
      jobName,
      roleArn,
      modelId,
      clientRequestToken: token,
      invocationType,
      inputS3Uri,
      outputS3Uri,
      timeoutDurationInHours: timeout,
      submitTime: now,
      lastModifiedTime: now,
      endTime: undefined,
      status: 'Submitted',
      message: undefined,
      records: [],
      stopRequestedAt: undefined,
      processedRecordCount: 0,
      successRecordCount: 0,
      errorRecordCount: 0,
    };
    try {
      job.records = this.readInput(inputS3Uri);
      if (job.records.length < this.options.minRecords) {
        throw new JobInvalid(
          `The number of records in the input (${job.records.length}) is less than the minimum number of records per batch inference job (${this.options.minRecords}).`,
        );
      }
      if (job.records.length > this.options.maxRecords) {
        throw new JobInvalid(
          `The number of records in the input (${job.records.length}) exceeds the maximum number of records per batch inference job (${this.options.maxRecords}).`,
        );
      }
      job.status = 'InProgress';
    } catch (error) {
      if (!(error instanceof JobInvalid)) throw error;
      this.end(job, 'Failed', now, error.message);
    }
    this.jobs.set(jobArn, job);
    if (token !== undefined) this.byToken.set(token, jobArn);
    return { jobArn };
  }

  /** GetModelInvocationJob, by ARN or job id. */
  get(identifier: string): Record<string, unknown> {
    return jobView(this.refresh(this.find(identifier)));
  }

  /** ListModelInvocationJobs. */
  list(query: URLSearchParams): Record<string, unknown> {
    const status = query.get('statusEquals');
    const name = query.get('nameContains');
    const after = query.get('submitTimeAfter');
    const before = query.get('submitTimeBefore');
    const max = Math.min(1000, Math.max(1, Number(query.get('maxResults') ?? 1000) || 1000));
    const start = Number(query.get('nextToken') ?? 0) || 0;
    const ascending = query.get('sortOrder') === 'Ascending';
    const all = [...this.jobs.values()]
      .map((j) => this.refresh(j))
      .filter((j) => (status === null || j.status === status) && (name === null || j.jobName.includes(name)))
      .filter(
        (j) =>
          (after === null || j.submitTime > Date.parse(after)) &&
          (before === null || j.submitTime < Date.parse(before)),
      )
      .sort((a, b) => (ascending ? a.submitTime - b.submitTime : b.submitTime - a.submitTime));
    const page = all.slice(start, start + max);
    return {
      invocationJobSummaries: page.map(jobView),
      ...(start + max < all.length ? { nextToken: String(start + max) } : {}),
    };
  }

  /** StopModelInvocationJob: the job stops with the records it has processed by now written out. */
  stop(identifier: string): void {
    const job = this.refresh(this.find(identifier));
    if (FINISHED.has(job.status) || job.status === 'Stopping')
      throw validation(`The job ${job.jobArn} cannot be stopped: its status is ${job.status}.`);
    job.stopRequestedAt = this.now();
    job.status = 'Stopping';
    job.lastModifiedTime = job.stopRequestedAt;
  }

  private find(identifier: string): BatchJob {
    const job = this.jobs.get(identifier) ?? [...this.jobs.values()].find((j) => j.jobId === identifier);
    if (!job)
      throw new WireError(
        404,
        'ResourceNotFoundException',
        `The model invocation job ${identifier.slice(0, 200)} was not found.`,
      );
    return job;
  }

  /** Moves a job along the batch clock: it finishes (writing its output) once its duration has passed. */
  private refresh(job: BatchJob): BatchJob {
    if (FINISHED.has(job.status)) return job;
    const now = this.now();
    const duration = this.options.jobDurationMs;
    if (job.stopRequestedAt !== undefined) {
      const share = duration === 0 ? 1 : Math.min(1, (job.stopRequestedAt - job.submitTime) / duration);
      this.finish(job, 'Stopped', share, now);
    } else if (now >= job.submitTime + duration) {
      if (this.faults.failNextJobs > 0) {
        this.faults = { ...this.faults, failNextJobs: this.faults.failNextJobs - 1 };
        const ending = this.faults.endJobsAs;
        this.finish(
          job,
          ending,
          ending === 'PartiallyCompleted' ? 0.5 : 0,
          now,
          ending === 'Failed' ? 'The batch inference job failed (injected by the local endpoint).' : undefined,
        );
      } else {
        this.finish(job, 'Completed', 1, now);
      }
    }
    return job;
  }

  private finish(job: BatchJob, status: BatchJob['status'], share: number, now: number, message?: string): void {
    const processed = job.records.slice(0, Math.floor(job.records.length * share + 1e-9));
    if (processed.length > 0 || status === 'Completed') {
      try {
        this.writeOutput(job, processed);
      } catch (error) {
        if (!(error instanceof LocalS3Refusal)) throw error;
        return this.end(
          job,
          'Failed',
          now,
          `Amazon Bedrock could not write the output to ${job.outputS3Uri}: ${error.code}`,
        );
      }
    }
    this.end(job, status, now, message);
  }

  private end(job: BatchJob, status: BatchJob['status'], now: number, message: string | undefined): void {
    job.status = status;
    job.message = message;
    job.endTime = now;
    job.lastModifiedTime = now;
  }

  private writeOutput(job: BatchJob, processed: readonly BatchRecord[]): void {
    const { spec, baseModelId } = lookUpModel(job.modelId);
    const operation = job.invocationType === 'Converse' ? 'converse' : 'invoke';
    const promptCache = new PromptCaching(() => this.now());
    const byFile = new Map<string, string[]>();
    let inputTokens = 0;
    let outputTokens = 0;
    for (const record of processed) {
      let line: Record<string, unknown>;
      try {
        this.maybeFailRecord(record);
        const answer = answerModelCall(
          operation,
          spec,
          record.modelInput,
          { modelId: job.modelId, baseModelId, latencyMs: () => 0 },
          promptCache,
        );
        inputTokens += answer.inputTokens + answer.cacheReadInputTokens + answer.cacheWriteInputTokens;
        outputTokens += answer.outputTokens;
        line = { recordId: record.recordId, modelInput: record.modelInput, modelOutput: answer.body };
        job.successRecordCount += 1;
      } catch (error) {
        if (!(error instanceof WireError)) throw error;
        line = {
          recordId: record.recordId,
          modelInput: record.modelInput,
          error: { errorCode: error.status, errorMessage: error.message },
        };
        job.errorRecordCount += 1;
      }
      job.processedRecordCount += 1;
      const lines = byFile.get(record.file) ?? [];
      lines.push(JSON.stringify(line));
      byFile.set(record.file, lines);
    }
    const out = parseS3Uri(job.outputS3Uri)!;
    const base = `${out.key === '' || out.key.endsWith('/') ? out.key : `${out.key}/`}${job.jobId}/`;
    for (const [file, lines] of byFile) {
      if (this.options.shuffleOutput) shuffle(lines, this.dice);
      this.s3.put(out.bucket, `${base}${file}.out`, Buffer.from(`${lines.join('\n')}\n`), {
        contentType: 'application/jsonl',
      });
    }
    const manifest = {
      totalRecordCount: job.records.length,
      processedRecordCount: job.processedRecordCount,
      successRecordCount: job.successRecordCount,
      errorRecordCount: job.errorRecordCount,
      inputTokenCount: inputTokens,
      outputTokenCount: outputTokens,
    };
    this.s3.put(out.bucket, `${base}manifest.json.out`, Buffer.from(JSON.stringify(manifest)), {
      contentType: 'application/json',
    });
  }

  private maybeFailRecord(record: BatchRecord): void {
    const roll = this.dice();
    const contains = this.faults.recordErrorWhenInputContains;
    if (
      roll < this.faults.recordErrorRate ||
      (contains !== undefined && JSON.stringify(record.modelInput).includes(contains))
    ) {
      throw new WireError(
        400,
        'ValidationException',
        'The record could not be processed (injected by the local endpoint).',
      );
    }
  }

  /** Every record of the `.jsonl` file the URI names, or of every `.jsonl` file under the prefix it names. */
  private readInput(uri: string): BatchRecord[] {
    const at = parseS3Uri(uri)!;
    let keys: string[];
    try {
      keys = at.key.endsWith('.jsonl')
        ? [at.key]
        : this.s3
            .list(at.bucket, { prefix: at.key })
            .objects.map((o) => o.key)
            .filter((k) => k.endsWith('.jsonl'));
      if (keys.length === 0) throw new JobInvalid(`No .jsonl input file was found at ${uri}.`);
      const records: BatchRecord[] = [];
      const seen = new Set<string>();
      for (const key of keys) {
        const file = key.slice(key.lastIndexOf('/') + 1);
        const lines = this.s3.get(at.bucket, key).body.toString('utf8').split('\n');
        lines.forEach((text, i) => {
          if (text.trim() === '') return;
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            throw new JobInvalid(`Line ${i + 1} of ${file} is not valid JSON.`);
          }
          if (!isObject(parsed) || !isObject(parsed['modelInput']))
            throw new JobInvalid(`Line ${i + 1} of ${file} has no modelInput object.`);
          const recordId =
            typeof parsed['recordId'] === 'string' ? parsed['recordId'] : `${String(records.length).padStart(11, '0')}`;
          if (seen.has(recordId)) throw new JobInvalid(`The recordId ${recordId} appears more than once in the input.`);
          seen.add(recordId);
          records.push({ recordId, modelInput: parsed['modelInput'], file });
        });
      }
      return records;
    } catch (error) {
      if (error instanceof LocalS3Refusal)
        throw new JobInvalid(`Amazon Bedrock could not read the input at ${uri}: ${error.code}`);
      throw error;
    }
  }
}

/** A job that was created but fails validation: it shows as Failed with this message. */
class JobInvalid extends Error {}

function shuffle<T>(items: T[], dice: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(dice() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

function requiredString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '')
    throw validation(
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  return value;
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw validation(`1 validation error detected: Value at '${field}' must be a string`);
  return value;
}

function nestedUri(body: Record<string, unknown>, config: string, member: string): string {
  const outer = body[config];
  const inner = isObject(outer) ? outer[member] : undefined;
  const uri = isObject(inner) ? inner['s3Uri'] : undefined;
  if (typeof uri !== 'string' || !parseS3Uri(uri))
    throw validation(
      `1 validation error detected: Value at '${config}.${member}.s3Uri' failed to satisfy constraint: Member must satisfy regular expression pattern: s3://…`,
    );
  return uri;
}
