import {
  BedrockRuntimeClient,
  ConverseCommand,
  GetAsyncInvokeCommand,
  ListAsyncInvokesCommand,
  StartAsyncInvokeCommand,
} from '@aws-sdk/client-bedrock-runtime';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config/load-config';
import type { Gateway } from './gateway';
import { startGateway } from './gateway';
import { createLogger } from './observability/logger';

const MODEL = 'amazon.nova-lite-v1:0';
const CALLERS = 'callers-results';
const NOVA_LITE = { inputPer1M: 0.06, outputPer1M: 0.24 };
const credentials = { accessKeyId: 'demo', secretAccessKey: 'demo-secret' };

const converse = (text: string) => ({
  messages: [{ role: 'user', content: [{ text }] }],
  inferenceConfig: { temperature: 0, maxTokens: 80 },
});

let gateway: Gateway;
let client: BedrockRuntimeClient;
let s3: S3Client;

/** Runs `work` over `items`, `limit` at a time. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i]!, i);
      }
    }),
  );
  return out;
}

function start(text: string, extra: Partial<ConstructorParameters<typeof StartAsyncInvokeCommand>[0]> = {}) {
  return client.send(
    new StartAsyncInvokeCommand({
      modelId: MODEL,
      modelInput: converse(text),
      outputDataConfig: { s3OutputDataConfig: { s3Uri: `s3://${CALLERS}/async` } },
      ...extra,
    }),
  );
}

const idOf = (arn: string) => arn.split('/').at(-1)!;

/** The answer the gateway wrote to the caller's bucket (read from the local S3's contents). */
function output(arn: string): { output: unknown; usage: { inputTokens: number; outputTokens: number } } {
  const object = gateway.localBedrock!.batch.s3.get(CALLERS, `async/${idOf(arn)}/output.json`);
  return JSON.parse(object.body.toString('utf8'));
}

/** What the model answers `text` with, asked directly (plain HTTP: the answer is all that is compared). */
async function directAnswer(text: string): Promise<unknown> {
  const res = await fetch(`${gateway.localBedrock!.url}/model/${MODEL}/converse`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(converse(text)),
  });
  return ((await res.json()) as { output: unknown }).output;
}

/** Waits (as long as a test may run) until none of the invocations is InProgress; their final states. */
async function settled(arns: readonly string[]) {
  const wanted = new Set(arns);
  await expect
    .poll(
      async () => {
        const open = await client.send(new ListAsyncInvokesCommand({ statusEquals: 'InProgress' }));
        return (open.asyncInvokeSummaries ?? []).filter((s) => wanted.has(s.invocationArn!)).length;
      },
      { interval: 200 },
    )
    .toBe(0);
  return pool(arns, 10, (arn) => client.send(new GetAsyncInvokeCommand({ invocationArn: arn })));
}

interface Costs {
  total: { calls: number; costUsd: number; savedByStrategy: Record<string, number> };
  byBilling: { key: string; calls: number; costUsd: number }[];
}

/** Calls /costs counts under a billing (batch, or the on-demand tier that served them). */
const billed = (c: Costs, billing: string) => c.byBilling.find((g) => g.key === billing)?.calls ?? 0;

/** How the gateway says an invocation was answered (its own field beside GetAsyncInvoke's). */
async function novaCost(arn: string): Promise<unknown> {
  const res = await fetch(`${gateway.url}/async-invoke/${encodeURIComponent(arn)}`, {
    headers: { 'x-api-key': 'demo-key' },
  });
  return ((await res.json()) as { novaCost: unknown }).novaCost;
}

async function costs(): Promise<Costs> {
  return (await (await fetch(`${gateway.url}/costs`, { headers: { 'x-api-key': 'demo-key' } })).json()) as Costs;
}

beforeAll(async () => {
  const config = loadConfig({
    PORT: '0',
    LOG_LEVEL: 'silent',
    // Jobs of 500 records; the queue works every 50 ms and polls a job 50-200 ms apart.
    NOVA_COST_ASYNC_MAX_RECORDS: '500',
    NOVA_COST_ASYNC_TICK_MS: '50',
    NOVA_COST_ASYNC_POLL_MIN_MS: '50',
    NOVA_COST_ASYNC_POLL_MAX_MS: '200',
  });
  gateway = await startGateway(config, { logger: createLogger('silent'), emfIntervalMs: 0 });
  client = new BedrockRuntimeClient({ endpoint: gateway.url, region: 'us-east-1', credentials });
  s3 = new S3Client({
    endpoint: gateway.localBedrock!.batch.s3Url!,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
  });
  await s3.send(new CreateBucketCommand({ Bucket: CALLERS }));
});
afterAll(async () => {
  client?.destroy();
  s3?.destroy();
  await gateway?.shutdown();
});
beforeEach(() => gateway.localBedrock!.batch.configure({ recordErrorWhenInputContains: 'never-in-a-prompt' }));

describe('the async API (StartAsyncInvoke, GetAsyncInvoke, ListAsyncInvokes)', () => {
  // A thousand real SDK calls, and the jobs behind them, take minutes on a busy machine: the limit is a hang guard.
  it(
    'turns 1,000 deferrable Nova Lite submissions into batch jobs, gives every caller its own answer, and bills half of on-demand',
    { timeout: 900_000 },
    async () => {
      const asked = Array.from({ length: 1000 }, (_, i) => `nightly enrichment of record ${i}`);
      const before = (await costs()).total;
      const arns = await pool(asked, 50, async (text) => (await start(text)).invocationArn!);
      expect(new Set(arns).size).toBe(1000);
      const states = await settled(arns);
      expect(states.every((s) => s.status === 'Completed')).toBe(true);
      expect(gateway.localBedrock!.batch.snapshot().map((j) => j.records)).toEqual([500, 500]);
      // Each caller's answer is the one the model gives its own prompt.
      const answers = arns.map(output);
      const expected = await pool(asked, 10, directAnswer);
      answers.forEach((a, i) => expect(a.output).toEqual(expected[i]));
      // The ledger: the batch price, half of what the same tokens cost on demand, the other half saved by batching.
      const onDemandUsd = answers.reduce(
        (sum, a) =>
          sum + (a.usage.inputTokens * NOVA_LITE.inputPer1M + a.usage.outputTokens * NOVA_LITE.outputPer1M) / 1e6,
        0,
      );
      const after = (await costs()).total;
      expect(after.calls - before.calls).toBe(1000);
      const billed = after.costUsd - before.costUsd;
      expect(Math.abs(billed / onDemandUsd - 0.5)).toBeLessThanOrEqual(0.005 * 0.5);
      expect(after.savedByStrategy['batching']! - before.savedByStrategy['batching']!).toBeCloseTo(
        onDemandUsd - billed,
        9,
      );
      // Batch answers are cached like on-demand ones: the same request asked synchronously is a hit.
      const headers: string[] = [];
      const sync = await fetch(`${gateway.url}/model/${MODEL}/converse`, {
        method: 'POST',
        headers: { 'x-api-key': 'demo-key', 'content-type': 'application/json' },
        body: JSON.stringify(converse(asked[7]!)),
      });
      headers.push(sync.headers.get('x-nova-cost-cache')!);
      expect(headers).toEqual(['hit']);
    },
  );

  it('gives per-record errors to their own callers only', { timeout: 600_000 }, async () => {
    gateway.localBedrock!.batch.configure({ recordErrorWhenInputContains: 'poisoned' });
    const asked = Array.from({ length: 500 }, (_, i) => (i % 100 === 42 ? `poisoned row ${i}` : `clean row ${i}`));
    const arns = await pool(asked, 50, async (text) => (await start(text)).invocationArn!);
    const states = await settled(arns);
    const failed = states.flatMap((s, i) => (s.status === 'Failed' ? [i] : []));
    expect(failed).toEqual([42, 142, 242, 342, 442]);
    expect(states[42]!.failureMessage).toMatch(/the batch job answered this record with error 400/);
    expect(states.filter((s) => s.status === 'Completed')).toHaveLength(495);
  });

  it('sends on demand through Flex, and says so, a submission whose deadline no batch job could meet', async () => {
    const before = await costs();
    const flexServed = gateway.localBedrock!.stats().serviceTiers['flex'] ?? 0;
    const deadline = new Date(Date.now() + 60_000).toISOString();
    const { invocationArn } = await start('due within the minute', {
      tags: [{ key: 'nova-cost:deadline', value: deadline }],
    });
    const [state] = await settled([invocationArn!]);
    expect(state!.status).toBe('Completed');
    expect(await novaCost(invocationArn!)).toEqual({ route: 'on-demand', reason: 'deadline' });
    // The local endpoint served it in the Flex tier (Nova Lite offers it) …
    expect(gateway.localBedrock!.stats().serviceTiers['flex']).toBe(flexServed + 1);
    // … and the ledger bills it so: at the Flex price, the difference to standard saved by the service tier.
    const after = await costs();
    expect(after.total.calls - before.total.calls).toBe(1);
    expect(billed(after, 'flex') - billed(before, 'flex')).toBe(1);
    expect(billed(after, 'batch')).toBe(billed(before, 'batch'));
    expect(after.total.savedByStrategy['batching']).toBe(before.total.savedByStrategy['batching']);
    const paid = after.total.costUsd - before.total.costUsd;
    const tierSaved = after.total.savedByStrategy['service-tier']! - before.total.savedByStrategy['service-tier']!;
    expect(tierSaved).toBeCloseTo(paid, 12); // Flex bills half of standard
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toMatch(
      /nova_cost_async_invocations_total\{route="on-demand",status="Completed",billing="flex"\} [1-9]/,
    );
  });

  it('falls back to the standard tier for a model without Flex, and the ledger bills it as standard', async () => {
    const before = await costs();
    const served = gateway.localBedrock!.stats().serviceTiers;
    // Claude 3 Haiku serves no Flex here (as on Bedrock): the adapter is refused once, then sends it in the default tier.
    const deadline = new Date(Date.now() + 60_000).toISOString();
    const { invocationArn } = await start('a model without flex', {
      modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
      tags: [{ key: 'nova-cost:deadline', value: deadline }],
    });
    const [state] = await settled([invocationArn!]);
    expect(state!.status).toBe('Completed');
    expect(await novaCost(invocationArn!)).toEqual({ route: 'on-demand', reason: 'deadline' });
    expect(gateway.localBedrock!.stats().serviceTiers['flex'] ?? 0).toBe(served['flex'] ?? 0);
    const after = await costs();
    expect(after.total.calls - before.total.calls).toBe(1);
    expect(billed(after, 'standard') - billed(before, 'standard')).toBe(1);
    expect(billed(after, 'flex')).toBe(billed(before, 'flex'));
    expect(after.total.savedByStrategy['service-tier']).toBe(before.total.savedByStrategy['service-tier']);
  });

  it('sends on demand, through Flex, a group that cannot reach the minimum records by its latest send time', async () => {
    const before = await costs();
    // Due in 6 hours and 10 seconds: a job needs 6 hours, so the call may wait 10 s for 99 more; none come.
    const deadline = new Date(Date.now() + 6 * 3_600_000 + 10_000).toISOString();
    const { invocationArn } = await start('alone in its group', {
      modelId: 'amazon.nova-micro-v1:0',
      tags: [{ key: 'nova-cost:deadline', value: deadline }],
    });
    const [state] = await settled([invocationArn!]);
    expect(state!.status).toBe('Completed');
    expect(await novaCost(invocationArn!)).toEqual({ route: 'on-demand', reason: 'below-minimum-records' });
    const after = await costs();
    expect(billed(after, 'flex') - billed(before, 'flex')).toBe(1);
  });

  it('answers from the cache at once a submission identical to a cached request', async () => {
    await client.send(new ConverseCommand({ modelId: MODEL, ...(converse('asked before') as object) } as never));
    const { invocationArn } = await start('asked before');
    const state = await client.send(new GetAsyncInvokeCommand({ invocationArn }));
    expect(state.status).toBe('Completed');
    expect(output(invocationArn!).output).toEqual(await directAnswer('asked before'));
  });

  it('keeps one invocation per clientRequestToken, and refuses the token for another request', async () => {
    const a = await start('idempotent', { clientRequestToken: 'nightly-2026-03-01-row-1' });
    const b = await start('idempotent', { clientRequestToken: 'nightly-2026-03-01-row-1' });
    expect(b.invocationArn).toBe(a.invocationArn);
    await expect(start('something else', { clientRequestToken: 'nightly-2026-03-01-row-1' })).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/was used for another request/),
    });
  });

  it('lists the tenant’s invocations, and keeps another tenant’s out of reach', async () => {
    const listed = await client.send(new ListAsyncInvokesCommand({ statusEquals: 'Completed', maxResults: 5 }));
    expect(listed.asyncInvokeSummaries).toHaveLength(5);
    expect(listed.nextToken).toBeDefined();
    expect(listed.asyncInvokeSummaries![0]!.submitTime).toBeInstanceOf(Date);
    const missing = `arn:aws:bedrock:us-east-1:000000000000:async-invoke/${'0'.repeat(16)}`;
    await expect(client.send(new GetAsyncInvokeCommand({ invocationArn: missing }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('refuses a malformed submission naming the field', async () => {
    await expect(
      client.send(
        new StartAsyncInvokeCommand({
          modelId: MODEL,
          modelInput: 'text' as never,
          outputDataConfig: { s3OutputDataConfig: { s3Uri: 'not-s3' } },
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationException',
    });
    // A location with a ".." segment, or inside the gateway's own state prefix: 400, naming the field.
    for (const s3Uri of [`s3://${CALLERS}/async/../elsewhere`, 's3://nova-cost-async/nova-cost/async/results/demo']) {
      const refused = await fetch(`${gateway.url}/async-invoke`, {
        method: 'POST',
        headers: { 'x-api-key': 'demo-key', 'content-type': 'application/json' },
        body: JSON.stringify({
          modelId: MODEL,
          modelInput: converse('x'),
          outputDataConfig: { s3OutputDataConfig: { s3Uri } },
        }),
      });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({
        error: { details: { field: 'outputDataConfig.s3OutputDataConfig.s3Uri' } },
      });
    }
    const res = await fetch(`${gateway.url}/async-invoke`, {
      method: 'POST',
      headers: { 'x-api-key': 'demo-key', 'content-type': 'application/json' },
      body: JSON.stringify({
        modelId: MODEL,
        modelInput: converse('x'),
        tags: [{ key: 'nova-cost:deadline', value: 'tomorrow' }],
      }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { details: { field: 'tags' } } });
  });
});
