import { BedrockClient } from '@aws-sdk/client-bedrock';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { LocalBedrock } from '@nova-cost/bedrock-local';
import { startLocalBedrock } from '@nova-cost/bedrock-local';
import type {
  DeferredCall,
  DeferredOutcome,
  InvocationRequest,
  InvocationResult,
  JsonObject,
  ModelInvoker,
} from '@nova-cost/domain';
import { AsyncInvocations, InMemorySpendLedger, RuleBasedCostPolicy, StaticPricingCatalog } from '@nova-cost/domain';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BatchJobQueue } from './batch-job-queue';
import type { BatchJobQueueOptions } from './batch-jobs.options';

const MODEL = 'amazon.nova-lite-v1:0';
const HOUR = 3_600_000;
const ROLE = 'arn:aws:iam::123456789012:role/nova-cost-batch';
const credentials = { accessKeyId: 'a', secretAccessKey: 'b' };

/** One clock for the queue and the local endpoint's jobs: it moves only when a spec moves it. */
let now = Date.parse('2026-03-01T00:00:00Z');
const clock = { now: () => new Date(now) };
function advance(ms: number): void {
  now += ms;
}

let bedrock: LocalBedrock;
let s3: S3Client;
let control: BedrockClient;
let runtime: BedrockRuntimeClient;
let bucketSeq = 0;

/** The on-demand link: Converse and InvokeModel over the real runtime client, against the local endpoint. */
class RuntimeInvoker implements ModelInvoker {
  calls = 0;
  async invoke(request: InvocationRequest): Promise<InvocationResult> {
    this.calls += 1;
    const out = await runtime.send(
      new ConverseCommand({ modelId: request.modelId, ...(request.body as object) } as never),
    );
    const body = JSON.parse(
      JSON.stringify({ output: out.output, stopReason: out.stopReason, usage: out.usage }),
    ) as JsonObject;
    const u = out.usage!;
    return {
      body,
      usage: {
        inputTokens: u.inputTokens!,
        outputTokens: u.outputTokens!,
        cacheReadInputTokens: 0,
        cacheWriteInputTokens: 0,
      },
      latencyMs: 0,
      cache: 'bypass',
      modelId: request.modelId,
      stopReason: out.stopReason!,
    };
  }
}

interface Harness {
  readonly queue: BatchJobQueue;
  readonly async: AsyncInvocations;
  readonly ledger: InMemorySpendLedger;
  readonly onDemand: RuntimeInvoker;
  /** Settlements by invocation id: each call must be settled exactly once. */
  readonly settled: Map<string, DeferredOutcome[]>;
}

const pricing = new StaticPricingCatalog();

/** A queue (as a gateway process holds one) over a bucket; several may follow each other over the same bucket. */
async function harness(
  bucket: string,
  options: Partial<BatchJobQueueOptions> = {},
  ledger = new InMemorySpendLedger(),
  settled = new Map<string, DeferredOutcome[]>(),
): Promise<Harness> {
  const onDemand = new RuntimeInvoker();
  const queue = new BatchJobQueue(
    { s3, bedrock: control, onDemand },
    {
      bucket,
      roleArn: ROLE,
      tickMs: 0,
      minRecords: 100,
      maxRecords: 100,
      maxWaitMs: 15 * 60_000,
      jobTurnaroundMs: 6 * HOUR,
      pollMinMs: 30_000,
      clock,
      ...options,
    },
  );
  const policy = new RuleBasedCostPolicy({}, { pricing, ledger, clock });
  const async = new AsyncInvocations({
    policy,
    pricing,
    ledger,
    queue,
    clock,
    onSettled: (call: DeferredCall, outcome: DeferredOutcome) =>
      settled.set(call.id, [...(settled.get(call.id) ?? []), outcome]),
  });
  await async.start();
  return { queue, async, ledger, onDemand, settled };
}

async function freshBucket(): Promise<string> {
  const bucket = `async-${++bucketSeq}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

const body = (text: string): JsonObject => ({
  messages: [{ role: 'user', content: [{ text }] }],
  inferenceConfig: { maxTokens: 60 },
});
const submission = (text: string, extra: object = {}) => ({
  tenantId: 'acme',
  modelId: MODEL,
  operation: 'converse' as const,
  body: body(text),
  clientRequestToken: `tok-${text.replace(/\W/g, '-')}`,
  ...extra,
});

/** What the model answers `text` with, asked directly. */
async function directAnswer(text: string): Promise<unknown> {
  const out = await runtime.send(new ConverseCommand({ modelId: MODEL, ...(body(text) as object) } as never));
  return JSON.parse(JSON.stringify(out.output));
}

async function submitAll(h: Harness, texts: readonly string[], extra: object = {}) {
  return Promise.all(texts.map((t) => h.async.submit(submission(t, extra))));
}

beforeAll(async () => {
  bedrock = await startLocalBedrock({ s3: {}, batch: { jobDurationMs: 2 * HOUR, minRecords: 100, clock: () => now } });
  // The SDK's default retries, as the gateway has them.
  s3 = new S3Client({ region: 'us-east-1', endpoint: bedrock.batch.s3Url!, forcePathStyle: true, credentials });
  control = new BedrockClient({ region: 'us-east-1', endpoint: bedrock.url, credentials });
  runtime = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: bedrock.url, credentials });
});
afterAll(async () => {
  s3?.destroy();
  control?.destroy();
  runtime?.destroy();
  await bedrock?.close();
});
beforeEach(() => bedrock.reset());

const texts = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag} question ${i}`);

describe(BatchJobQueue, () => {
  it('fills jobs of the record quota, answers every caller with its own record, and bills half of on-demand', async () => {
    const h = await harness(await freshBucket());
    const asked = texts(200, 'fill');
    const states = await submitAll(h, asked);
    await h.queue.tick();
    expect(bedrock.batch.snapshot().map((j) => j.records)).toEqual([100, 100]);
    expect(states.every((s) => s.status === 'InProgress')).toBe(true);
    advance(2 * HOUR);
    await h.queue.tick();
    const done = await Promise.all(states.map((s) => h.async.find('acme', s.id)));
    expect(done.every((s) => s.status === 'Completed' && s.route === 'batch')).toBe(true);
    for (const i of [0, 57, 199])
      expect((await h.async.output('acme', states[i]!.id))['output']).toEqual(await directAnswer(asked[i]!));
    expect([...h.settled.values()].every((o) => o.length === 1)).toBe(true);
    expect(h.settled.size).toBe(200);
    const { total } = await h.ledger.totals({ tenantId: 'acme' });
    expect(total.calls).toBe(200);
    expect(total.costUsd / (total.costUsd + total.savedByStrategy.batching)).toBeCloseTo(0.5, 3);
    expect(h.onDemand.calls).toBe(0);
    await h.queue.close();
  });

  it('sends a group with the minimum once its oldest call has waited maxWaitMs, not before', async () => {
    const h = await harness(await freshBucket(), { maxRecords: 500 });
    await submitAll(h, texts(120, 'wait'));
    await h.queue.tick();
    expect(bedrock.batch.snapshot()).toHaveLength(0);
    advance(15 * 60_000);
    await h.queue.tick();
    expect(bedrock.batch.snapshot().map((j) => j.records)).toEqual([120]);
    advance(2 * HOUR);
    await h.queue.tick();
    expect(h.settled.size).toBe(120);
    await h.queue.close();
  });

  it('answers on demand, recorded so, the calls of a group that cannot reach the minimum by their deadline', async () => {
    const h = await harness(await freshBucket());
    const states = await submitAll(h, texts(10, 'few'), { deadline: new Date(now + 8 * HOUR) });
    await h.queue.tick();
    advance(2 * HOUR - 1); // the latest send time (deadline − 6 h turnaround) is not there yet
    await h.queue.tick();
    expect(h.onDemand.calls).toBe(0);
    advance(1);
    await h.queue.tick();
    expect(h.onDemand.calls).toBe(10);
    expect(bedrock.batch.snapshot()).toHaveLength(0);
    const state = await h.async.find('acme', states[0]!.id);
    expect(state).toMatchObject({ status: 'Completed', route: 'on-demand', reason: 'below-minimum-records' });
    const { total } = await h.ledger.totals({ tenantId: 'acme' });
    expect(total.savedByStrategy.batching).toBe(0);
    expect(total.costUsd).toBeGreaterThan(0);
    await h.queue.close();
  });

  it('answers on demand at once a call whose deadline no job could meet', async () => {
    const h = await harness(await freshBucket());
    const [state] = await submitAll(h, ['urgent'], { deadline: new Date(now + HOUR) });
    await h.queue.tick();
    expect(await h.async.find('acme', state!.id)).toMatchObject({
      status: 'Completed',
      route: 'on-demand',
      reason: 'deadline',
    });
    await h.queue.close();
  });

  it('gives per-record errors to their own callers only', async () => {
    bedrock.batch.configure({ recordErrorWhenInputContains: 'poison' });
    const h = await harness(await freshBucket());
    const asked = texts(100, 'mixed').map((t, i) => (i % 25 === 0 ? `poison ${t}` : t));
    const states = await submitAll(h, asked);
    await h.queue.tick();
    advance(2 * HOUR);
    await h.queue.tick();
    const found = await Promise.all(states.map((s) => h.async.find('acme', s.id)));
    const failed = found.flatMap((s, i) => (s.status === 'Failed' ? [i] : []));
    expect(failed).toEqual([0, 25, 50, 75]);
    expect(found[25]!.failureMessage).toMatch(/the batch job answered this record with error 400/);
    expect(found.filter((s) => s.status === 'Completed')).toHaveLength(96);
    expect((await h.ledger.totals({ tenantId: 'acme' })).total.calls).toBe(96);
    await h.queue.close();
  });

  it.each(['Failed', 'PartiallyCompleted', 'Expired'] as const)(
    'answers on demand the calls a job ending %s left without an answer',
    async (ending) => {
      bedrock.batch.configure({ failNextJobs: 1, endJobsAs: ending });
      const h = await harness(await freshBucket());
      const states = await submitAll(h, texts(100, `end-${ending}`));
      await h.queue.tick();
      advance(2 * HOUR);
      await h.queue.tick();
      const found = await Promise.all(states.map((s) => h.async.find('acme', s.id)));
      expect(found.every((s) => s.status === 'Completed')).toBe(true);
      const onDemand = found.filter((s) => s.route === 'on-demand');
      expect(onDemand).toHaveLength(ending === 'PartiallyCompleted' ? 50 : 100);
      expect(onDemand[0]!.reason).toBe(`job-${ending}`);
      expect(h.onDemand.calls).toBe(onDemand.length);
      expect(h.settled.size).toBe(100);
      await h.queue.close();
    },
  );

  it('stops a job still running near its calls’ deadline, keeps what it answered, and answers the rest on demand', async () => {
    // Jobs take 2 h here; sent at the latest 1 h before the deadline, this one cannot finish in time.
    const h = await harness(await freshBucket(), { jobTurnaroundMs: HOUR, stopLeadMs: 30 * 60_000 });
    const states = await submitAll(h, texts(100, 'late'), { deadline: new Date(now + 2 * HOUR) });
    await h.queue.tick();
    expect(bedrock.batch.snapshot().map((j) => j.status)).toEqual(['InProgress']);
    advance(90 * 60_000 - 1); // not yet 30 min before the deadline
    await h.queue.tick();
    expect(bedrock.batch.snapshot().map((j) => j.status)).toEqual(['InProgress']);
    advance(1);
    await h.queue.tick();
    expect(bedrock.batch.snapshot().map((j) => j.status)).toEqual(['Stopping']);
    expect(h.onDemand.calls).toBe(0);
    advance(30_000); // the next look finds it Stopped, with the records processed by then written out
    await h.queue.tick();
    const found = await Promise.all(states.map((s) => h.async.find('acme', s.id)));
    expect(found.every((s) => s.status === 'Completed')).toBe(true);
    // Stopped after 1.5 of its 2 hours: three quarters of the records were answered by the job.
    const batch = found.filter((s) => s.route === 'batch');
    const onDemand = found.filter((s) => s.route === 'on-demand');
    expect([batch.length, onDemand.length]).toEqual([75, 25]);
    expect(new Set(onDemand.map((s) => s.reason))).toEqual(new Set(['job-Stopped']));
    expect(h.onDemand.calls).toBe(25);
    expect([...h.settled.values()].every((o) => o.length === 1)).toBe(true);
    const { total } = await h.ledger.totals({ tenantId: 'acme' });
    expect(total.calls).toBe(100);
    expect(total.savedByStrategy.batching).toBeGreaterThan(0);
    await h.queue.close();
  });

  it('writes each answer to the caller’s own S3 location', async () => {
    const h = await harness(await freshBucket());
    const theirs = await freshBucket();
    const [state] = await submitAll(h, ['to my bucket'], {
      deadline: new Date(now + HOUR),
      outputS3Uri: `s3://${theirs}/results`,
    });
    await h.queue.tick();
    const written = await s3.send(new GetObjectCommand({ Bucket: theirs, Key: `results/${state!.id}/output.json` }));
    expect(JSON.parse(await written.Body!.transformToString())['output']).toEqual(await directAnswer('to my bucket'));
    await h.queue.close();
  });

  it('fails the invocation, saying where, when the caller’s location cannot be written, and keeps the answer', async () => {
    const h = await harness(await freshBucket());
    const [state] = await submitAll(h, ['nowhere'], {
      deadline: new Date(now + HOUR),
      outputS3Uri: 's3://no-such-bucket/x',
    });
    await h.queue.tick();
    expect(await h.async.find('acme', state!.id)).toMatchObject({
      status: 'Failed',
      failureMessage: expect.stringContaining('could not be written to s3://no-such-bucket/x'),
    });
    expect((await h.async.output('acme', state!.id))['output']).toBeDefined();
    await h.queue.close();
  });

  it('lists a tenant’s invocations newest first, by status, in pages', async () => {
    const h = await harness(await freshBucket());
    await h.async.submit(submission('first', { deadline: new Date(now + HOUR) }));
    advance(1000);
    await h.async.submit(submission('second'));
    await h.queue.tick();
    const page = await h.async.list('acme', { maxResults: 1 });
    expect(page.items.map((s) => s.status)).toEqual(['InProgress']);
    const next = await h.async.list('acme', { maxResults: 1, nextToken: page.nextToken! });
    expect(next.items.map((s) => s.status)).toEqual(['Completed']);
    expect((await h.async.list('acme', { statusEquals: 'Completed' })).items).toHaveLength(1);
    expect((await h.async.list('globex', {})).items).toHaveLength(0);
    await h.queue.close();
  });

  it('keys every tenant’s calls and results inside its own folder, whatever its id (`..`, `.`, slashes)', async () => {
    const bucket = await freshBucket();
    const tenants = ['..', '.', '../../outside', 'a/b', 'acme'];
    const first = await harness(bucket);
    const ids = new Map<string, string>();
    for (const [i, tenantId] of tenants.entries()) {
      const state = await first.async.submit({
        ...submission(`from tenant ${i}`),
        tenantId,
        deadline: new Date(now + 7 * HOUR),
      });
      ids.set(tenantId, state.id);
    }
    const keys = async () => {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
      return (page.Contents ?? []).map((o) => o.Key!);
    };
    const stored = await keys();
    expect(stored).toHaveLength(tenants.length);
    for (const key of stored) {
      expect(key).toMatch(/^nova-cost\/async\/calls\/[^/]+\/[a-z0-9]+\.json$/);
      expect(key.split('/').filter((segment) => /^\.+$/.test(segment))).toEqual([]);
    }
    // A new process reads the tenants back from the keys: each finds its own call, and no one else's.
    const second = await harness(bucket);
    for (const tenantId of tenants) {
      expect(await second.async.find(tenantId, ids.get(tenantId)!)).toMatchObject({ tenantId, status: 'InProgress' });
      expect((await second.async.list(tenantId, {})).items.map((i) => i.id)).toEqual([ids.get(tenantId)]);
    }
    await expect(second.async.find('..', ids.get('.')!)).rejects.toMatchObject({ kind: 'not-found' });
    advance(HOUR); // the latest send time: five calls, no job's minimum, answered on demand
    await second.queue.tick();
    for (const tenantId of tenants)
      expect(await second.async.find(tenantId, ids.get(tenantId)!)).toMatchObject({ status: 'Completed' });
    for (const key of await keys()) expect(key).toMatch(/^nova-cost\/async\/results\/[^/]+\/[a-z0-9]+\.json$/);
    expect(new Set((await keys()).map((k) => k.split('/')[3]))).toEqual(
      new Set(['%2E%2E', '%2E', '..%2F..%2Foutside', 'a%2Fb', 'acme']),
    );
    await second.queue.close();
    await first.queue.close();
  });

  it('refuses a caller output location with "." or ".." segments, or under the queue’s own prefix', async () => {
    const bucket = await freshBucket();
    const h = await harness(bucket);
    for (const outputS3Uri of [
      's3://callers/results/../other-team',
      's3://callers/./x',
      `s3://${bucket}/nova-cost/async/results/acme`,
      `s3://${bucket}/nova-cost/async`,
    ])
      await expect(h.async.submit({ ...submission('to a bad place'), outputS3Uri })).rejects.toMatchObject({
        kind: 'validation',
        details: { field: 'outputDataConfig.s3OutputDataConfig.s3Uri' },
      });
    expect(h.queue.stats().open).toBe(0);
    await h.queue.close();
  });

  describe('after a process dies (nothing closed) and another takes over the same bucket', () => {
    it('completes every call exactly once, mid-accumulation and mid-job, without a second job', async () => {
      const bucket = await freshBucket();
      const ledger = new InMemorySpendLedger();
      const settled = new Map<string, DeferredOutcome[]>();
      const first = await harness(bucket, {}, ledger, settled);
      const before = await submitAll(first, texts(150, 'crash'));
      await first.queue.tick(); // one job of 100 sent; 50 waiting
      expect(bedrock.batch.snapshot().map((j) => j.status)).toEqual(['InProgress']);
      // The first process is gone: its memory with it. A new one starts over the same bucket.
      const second = await harness(bucket, {}, ledger, settled);
      const after = await submitAll(second, texts(50, 'restart'));
      await second.queue.tick();
      expect(bedrock.batch.snapshot().map((j) => j.records)).toEqual([100, 100]);
      advance(2 * HOUR);
      await second.queue.tick();
      const all = [...before, ...after];
      const found = await Promise.all(all.map((s) => second.async.find('acme', s.id)));
      expect(found.every((s) => s.status === 'Completed' && s.route === 'batch')).toBe(true);
      expect(settled.size).toBe(200);
      expect([...settled.values()].every((o) => o.length === 1)).toBe(true);
      expect((await ledger.totals({ tenantId: 'acme' })).total.calls).toBe(200);
      await second.queue.close();
    });

    it('creates a job refused while sending once the next process starts', async () => {
      const bucket = await freshBucket();
      bedrock.batch.configure({ refuseNextCreates: 3 }); // every attempt the SDK makes
      const first = await harness(bucket);
      await submitAll(first, texts(100, 'refused'));
      await first.queue.tick();
      expect(bedrock.batch.snapshot()).toHaveLength(0);
      const second = await harness(bucket);
      await second.queue.tick();
      expect(bedrock.batch.snapshot()).toHaveLength(1);
      await second.queue.close();
    });

    it('finds the job created just before the process died instead of creating another', async () => {
      const bucket = await freshBucket();
      const first = await harness(bucket);
      await submitAll(first, texts(100, 'created'));
      await first.queue.tick();
      const [job] = bedrock.batch.snapshot();
      // Died after CreateModelInvocationJob answered, before the manifest kept the job's ARN.
      const key = `nova-cost/async/batches/${job!.jobName.replace('nova-cost-', '')}/manifest.json`;
      const manifest = JSON.parse(
        await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString(),
      );
      delete manifest.jobArn;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(manifest) }));
      const second = await harness(bucket);
      await second.queue.tick();
      advance(2 * HOUR);
      await second.queue.tick();
      expect(bedrock.batch.snapshot()).toHaveLength(1);
      expect(second.settled.size).toBe(100);
      await second.queue.close();
    });

    it('answers and bills the calls a build before the v2 call format kept (v: 1 documents)', async () => {
      const bucket = await freshBucket();
      // calls/ documents exactly as the previous build wrote them: the planned request in the caller's shape (the
      // policy's cache, lane, tier, cache points beside the caller's fields), the model asked for beside it.
      const v1 = (id: string, text: string, deadline: number, planned: object) => ({
        v: 1,
        id,
        clientRequestToken: `tok-${id}`,
        fingerprint: `fp-${id}`,
        submittedAt: new Date(now).toISOString(),
        deadline: new Date(deadline).toISOString(),
        request: { tenantId: 'acme', modelId: MODEL, operation: 'converse', body: body(text), ...planned },
        requestedModelId: MODEL,
      });
      const kept = [
        // Answered by a batch job: 100 calls fill one.
        ...Array.from({ length: 100 }, (_, i) =>
          v1(`v1batch${i}`, `legacy batch ${i}`, now + 24 * HOUR, {
            region: 'us-east-1',
            lane: 'deferrable',
            cache: { ttlSeconds: 3600 },
            serviceTier: 'flex',
          }),
        ),
        // Answered on demand (no job meets its deadline): not cacheable, and kept without a region.
        v1('v1urgent', 'legacy urgent', now + HOUR, { lane: 'deferrable' }),
      ];
      for (const doc of kept)
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: `nova-cost/async/calls/acme/${doc.id}.json`,
            Body: JSON.stringify(doc),
          }),
        );
      const h = await harness(bucket);
      await h.queue.tick();
      expect(bedrock.batch.snapshot().map((j) => j.records)).toEqual([100]);
      advance(2 * HOUR);
      await h.queue.tick();
      expect(await h.async.find('acme', 'v1urgent')).toMatchObject({
        status: 'Completed',
        route: 'on-demand',
        reason: 'deadline',
      });
      expect((await h.async.output('acme', 'v1urgent'))['output']).toEqual(await directAnswer('legacy urgent'));
      const batched = await h.async.find('acme', 'v1batch7');
      expect(batched).toMatchObject({ status: 'Completed', route: 'batch', modelId: MODEL });
      expect((await h.async.output('acme', 'v1batch7'))['output']).toEqual(await directAnswer('legacy batch 7'));
      expect(h.settled.size).toBe(101);
      expect([...h.settled.values()].every((o) => o.length === 1 && o[0]!.ok)).toBe(true);
      const { total } = await h.ledger.totals({ tenantId: 'acme' });
      expect(total.calls).toBe(101);
      expect(total.savedByStrategy.batching).toBeGreaterThan(0);
      await h.queue.close();
    });

    it('answers a call of a dots-only tenant kept under its literal folder by a build before the encoding', async () => {
      const bucket = await freshBucket();
      // Before tenant ids were encoded, tenant '...' was keyed as itself (now %2E%2E%2E). ('.' and '..' were too, but
      // HTTP paths resolve those segments, so the local S3 cannot keep them as keys; S3 does.)
      const legacyKey = 'nova-cost/async/calls/.../legacydots.json';
      const doc = {
        v: 1,
        id: 'legacydots',
        clientRequestToken: 'tok-legacydots',
        fingerprint: 'fp-legacydots',
        submittedAt: new Date(now).toISOString(),
        deadline: new Date(now + HOUR).toISOString(),
        request: { tenantId: '...', modelId: MODEL, operation: 'converse', body: body('dots'), region: 'us-east-1' },
        requestedModelId: MODEL,
      };
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: legacyKey, Body: JSON.stringify(doc) }));
      const h = await harness(bucket);
      await h.queue.tick();
      expect(await h.async.find('...', 'legacydots')).toMatchObject({ status: 'Completed', route: 'on-demand' });
      expect([...h.settled.keys()]).toEqual(['legacydots']);
      // A call a build before the encoding answered, its result kept under the literal folder too.
      const answered = { ...doc, id: 'legacyanswered', tenantId: '...', modelId: MODEL, endedAt: doc.submittedAt };
      const result = { ...answered, status: 'Completed', route: 'on-demand', request: undefined };
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: 'nova-cost/async/results/.../legacyanswered.json',
          Body: JSON.stringify(result),
        }),
      );
      const later = await harness(bucket);
      const listed = await later.async.list('...', {});
      expect(listed.items.map((s) => [s.id, s.status]).sort()).toEqual([
        ['legacyanswered', 'Completed'],
        ['legacydots', 'Completed'],
      ]);
      await later.queue.close();
      const left = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'nova-cost/async/calls/' }));
      expect(left.KeyCount).toBe(0);
      await h.queue.close();
    });
  });
});
