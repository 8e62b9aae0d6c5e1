import {
  BedrockClient,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  ListModelInvocationJobsCommand,
  StopModelInvocationJobCommand,
  ValidationException,
} from '@aws-sdk/client-bedrock';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalBedrock } from '../start-local-bedrock';
import { startLocalBedrock } from '../start-local-bedrock';

const MODEL = 'amazon.nova-lite-v1:0';
const ROLE = 'arn:aws:iam::123456789012:role/batch';
const HOUR = 3_600_000;
/** The batch clock stands still unless a spec advances it. */
const T0 = Date.parse('2026-03-01T00:00:00Z');
const credentials = { accessKeyId: 'a', secretAccessKey: 'b' };

let bedrock: LocalBedrock;
let control: BedrockClient;
let runtime: BedrockRuntimeClient;
let s3: S3Client;
let bucketSeq = 0;

const converseBody = (text: string) => ({
  messages: [{ role: 'user', content: [{ text }] }],
  inferenceConfig: { maxTokens: 50 },
});

/** A fresh bucket holding one input file of `n` Converse records (recordId r0…). */
async function inputOf(
  n: number,
  text = (i: number) => `question ${i}`,
): Promise<{ bucket: string; input: string; output: string }> {
  const bucket = `jobs-${++bucketSeq}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const lines = Array.from({ length: n }, (_, i) =>
    JSON.stringify({ recordId: `r${i}`, modelInput: converseBody(text(i)) }),
  );
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'in/records.jsonl', Body: lines.join('\n') }));
  return { bucket, input: `s3://${bucket}/in/records.jsonl`, output: `s3://${bucket}/out/` };
}

function create(at: { input: string; output: string }, extra: Record<string, unknown> = {}) {
  return control.send(
    new CreateModelInvocationJobCommand({
      jobName: `job-${bucketSeq}`,
      roleArn: ROLE,
      modelId: MODEL,
      modelInvocationType: 'Converse',
      inputDataConfig: { s3InputDataConfig: { s3Uri: at.input } },
      outputDataConfig: { s3OutputDataConfig: { s3Uri: at.output } },
      ...extra,
    }),
  );
}

async function text(bucket: string, key: string): Promise<string> {
  return (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
}

/** One output line, as Bedrock writes it. */
interface OutputLine {
  recordId: string;
  modelInput: unknown;
  modelOutput?: { output: unknown };
  error?: { errorCode: number; errorMessage: string };
}

async function outputLines(bucket: string, jobArn: string): Promise<OutputLine[]> {
  const jobId = jobArn.split('/').at(-1)!;
  return (await text(bucket, `out/${jobId}/records.jsonl.out`))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as OutputLine);
}

beforeAll(async () => {
  bedrock = await startLocalBedrock({ s3: {}, batch: { jobDurationMs: 6 * HOUR, minRecords: 100, clock: () => T0 } });
  control = new BedrockClient({ region: 'us-east-1', endpoint: bedrock.url, credentials, maxAttempts: 1 });
  runtime = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: bedrock.url, credentials, maxAttempts: 1 });
  s3 = new S3Client({
    region: 'us-east-1',
    endpoint: bedrock.batch.s3Url!,
    forcePathStyle: true,
    credentials,
    maxAttempts: 1,
  });
});
afterAll(async () => {
  control.destroy();
  runtime.destroy();
  s3.destroy();
  await bedrock.close();
});
beforeEach(() => bedrock.reset());

describe('local batch inference', () => {
  it('runs a job for its duration on the batch clock, then writes every record, shuffled, answered as Converse would', async () => {
    const at = await inputOf(120);
    const { jobArn } = await create(at);
    expect((await control.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn! }))).status).toBe(
      'InProgress',
    );
    bedrock.batch.advance(6 * HOUR - 1);
    expect((await control.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn! }))).status).toBe(
      'InProgress',
    );
    bedrock.batch.advance(1);
    const job = await control.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn! }));
    expect(job).toMatchObject({
      status: 'Completed',
      modelInvocationType: 'Converse',
      totalRecordCount: 120,
      processedRecordCount: 120,
      successRecordCount: 120,
      errorRecordCount: 0,
    });
    expect(job.submitTime).toEqual(new Date(T0));
    expect(job.endTime).toEqual(new Date(T0 + 6 * HOUR));
    const lines = await outputLines(at.bucket, jobArn!);
    expect(lines.map((l) => l.recordId)).not.toEqual(lines.map((_, i) => `r${i}`)); // shuffled
    expect(new Set(lines.map((l) => l.recordId))).toEqual(new Set(Array.from({ length: 120 }, (_, i) => `r${i}`)));
    const r7 = lines.find((l) => l.recordId === 'r7')!;
    const direct = await runtime.send(
      new ConverseCommand({ modelId: MODEL, ...(converseBody('question 7') as object) } as never),
    );
    expect(r7.modelOutput!.output).toEqual(JSON.parse(JSON.stringify(direct.output)));
    expect(r7.modelInput).toEqual(converseBody('question 7'));
    const manifest = JSON.parse(await text(at.bucket, `out/${jobArn!.split('/').at(-1)}/manifest.json.out`));
    expect(manifest).toMatchObject({
      totalRecordCount: 120,
      processedRecordCount: 120,
      successRecordCount: 120,
      errorRecordCount: 0,
    });
    expect(manifest.inputTokenCount).toBeGreaterThan(0);
  });

  it('fails a job with fewer records than the minimum, saying so', async () => {
    const { jobArn } = await create(await inputOf(99));
    const job = await control.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn! }));
    expect(job.status).toBe('Failed');
    expect(job.message).toMatch(/\(99\) is less than the minimum number of records per batch inference job \(100\)/);
  });

  it('answers the same clientRequestToken with the job it created, creating one job', async () => {
    const at = await inputOf(100);
    const a = await create(at, { clientRequestToken: 'manifest-abc123' });
    const b = await create(at, { clientRequestToken: 'manifest-abc123' });
    expect(b.jobArn).toBe(a.jobArn);
    expect(bedrock.batch.snapshot()).toHaveLength(1);
  });

  it('gives per-record errors to the records they belong to only', async () => {
    bedrock.batch.configure({ recordErrorWhenInputContains: 'poison' });
    const at = await inputOf(100, (i) => (i % 10 === 3 ? `poison ${i}` : `fine ${i}`));
    const { jobArn } = await create(at);
    bedrock.batch.advance(6 * HOUR);
    expect(await control.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn! }))).toMatchObject({
      status: 'Completed',
      successRecordCount: 90,
      errorRecordCount: 10,
    });
    const lines = await outputLines(at.bucket, jobArn!);
    const failed = lines
      .filter((l) => l.error)
      .map((l) => l.recordId)
      .sort();
    expect(failed).toEqual(['r13', 'r23', 'r3', 'r33', 'r43', 'r53', 'r63', 'r73', 'r83', 'r93']);
    expect(lines.find((l) => l.recordId === 'r3')!.error).toEqual({
      errorCode: 400,
      errorMessage: expect.stringContaining('could not be processed'),
    });
    expect(lines.filter((l) => l.modelOutput)).toHaveLength(90);
  });

  it('stops a job with the records processed by then written out', async () => {
    const at = await inputOf(100);
    const { jobArn } = await create(at);
    bedrock.batch.advance(1.5 * HOUR); // a quarter of its 6 hours
    await control.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn! }));
    expect((await control.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn! }))).status).toBe('Stopped');
    expect(await outputLines(at.bucket, jobArn!)).toHaveLength(25);
    await expect(control.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn! }))).rejects.toBeInstanceOf(
      ValidationException,
    );
  });

  it.each([
    ['Failed', 0],
    ['Expired', 0],
    ['PartiallyCompleted', 50],
  ] as const)('ends the next job as %s when told to, with %i records written', async (ending, written) => {
    bedrock.batch.configure({ failNextJobs: 1, endJobsAs: ending });
    const at = await inputOf(100);
    const { jobArn } = await create(at);
    bedrock.batch.advance(6 * HOUR);
    expect((await control.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn! }))).status).toBe(ending);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: at.bucket, Prefix: 'out/' }));
    if (written === 0) expect(listed.KeyCount).toBe(0);
    else expect(await outputLines(at.bucket, jobArn!)).toHaveLength(written);
  });

  it('refuses CreateModelInvocationJob with a throttle when told to, creating nothing', async () => {
    bedrock.batch.configure({ refuseNextCreates: 1 });
    const at = await inputOf(100);
    await expect(create(at)).rejects.toMatchObject({ name: 'ThrottlingException' });
    await create(at);
    expect(bedrock.batch.snapshot()).toHaveLength(1);
  });

  it('lists jobs by status and name', async () => {
    const done = await create(await inputOf(100), { jobName: 'nightly-enrichment' });
    bedrock.batch.advance(6 * HOUR);
    await create(await inputOf(100), { jobName: 'nightly-backfill' });
    const listed = await control.send(
      new ListModelInvocationJobsCommand({ statusEquals: 'Completed', nameContains: 'nightly' }),
    );
    expect(listed.invocationJobSummaries?.map((j) => j.jobArn)).toEqual([done.jobArn]);
    const all = await control.send(new ListModelInvocationJobsCommand({ maxResults: 1 }));
    expect(all.invocationJobSummaries).toHaveLength(1);
    expect(all.nextToken).toBeDefined();
  });

  it('refuses a malformed request and an unknown job as Bedrock does', async () => {
    const at = await inputOf(100);
    await expect(create(at, { roleArn: 'not-a-role' })).rejects.toBeInstanceOf(ValidationException);
    await expect(create(at, { modelId: 'amazon.nope-v9:0' })).rejects.toBeInstanceOf(ValidationException);
    await expect(
      control.send(new GetModelInvocationJobCommand({ jobIdentifier: 'nosuchjob000' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('fails a job whose input is missing', async () => {
    const { jobArn } = await create({ input: 's3://no-such-bucket/in.jsonl', output: 's3://no-such-bucket/out/' });
    const job = await control.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn! }));
    expect(job).toMatchObject({ status: 'Failed', message: expect.stringContaining('NoSuchBucket') });
  });
});

describe('local S3', () => {
  it('lists more than a page of keys in order with continuation tokens, and rolls keys up by delimiter', async () => {
    const bucket = `list-${++bucketSeq}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (let i = 0; i < 1205; i++)
      bedrock.batch.s3.put(bucket, `calls/${String(i).padStart(5, '0')}.json`, Buffer.from('{}'));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'batches/a/manifest.json', Body: '{}' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'batches/b/manifest.json', Body: '{}' }));
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: 'calls/', ContinuationToken: token }),
      );
      keys.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.NextContinuationToken;
    } while (token);
    expect(keys).toHaveLength(1205);
    expect(keys).toEqual([...keys].sort());
    const rolled = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'batches/', Delimiter: '/' }));
    expect(rolled.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['batches/a/', 'batches/b/']);
  });

  it('keeps a conditional write from replacing an object, and says which key or bucket is missing', async () => {
    const bucket = `cond-${++bucketSeq}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'lease', Body: 'first', IfNoneMatch: '*' }));
    await expect(
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'lease', Body: 'second', IfNoneMatch: '*' })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
    expect(await text(bucket, 'lease')).toBe('first');
    await expect(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'nope' }))).rejects.toMatchObject({
      name: 'NoSuchKey',
    });
    await expect(s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'x' }))).rejects.toMatchObject({
      name: 'NoSuchBucket',
    });
  });
});
