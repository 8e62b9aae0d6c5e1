import {
  BedrockRuntimeClient,
  GetAsyncInvokeCommand,
  ListAsyncInvokesCommand,
  StartAsyncInvokeCommand,
} from '@aws-sdk/client-bedrock-runtime';
import type { LocalBedrock } from '@nova-cost/bedrock-local';
import { startLocalBedrock } from '@nova-cost/bedrock-local';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayChild } from './testing/gateway-child';
import { runGatewayChild } from './testing/gateway-child';

const MODEL = 'amazon.nova-lite-v1:0';
const HOUR = 3_600_000;
const STATE = 'gateway-async-state';
const CALLERS = 'callers-results';

/** The local endpoint's batch clock: jobs run until a spec moves it. */
const BATCH_T0 = Date.parse('2026-03-01T00:00:00Z');
let bedrock: LocalBedrock;
const running: GatewayChild[] = [];

const converse = (text: string) => ({
  messages: [{ role: 'user', content: [{ text }] }],
  inferenceConfig: { temperature: 0, maxTokens: 60 },
});

function env(): Record<string, string> {
  return {
    BEDROCK_ENDPOINT: bedrock.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    NOVA_COST_ASYNC_BUCKET: STATE,
    NOVA_COST_ASYNC_ROLE_ARN: 'arn:aws:iam::123456789012:role/nova-cost-batch',
    NOVA_COST_S3_ENDPOINT: bedrock.batch.s3Url!,
    NOVA_COST_ASYNC_MAX_RECORDS: '100',
    NOVA_COST_ASYNC_TICK_MS: '50',
    NOVA_COST_ASYNC_POLL_MIN_MS: '50',
    NOVA_COST_ASYNC_POLL_MAX_MS: '200',
  };
}

function client(g: GatewayChild): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    endpoint: g.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'demo', secretAccessKey: 'demo-secret' },
  });
}

async function submit(c: BedrockRuntimeClient, indexes: readonly number[]): Promise<string[]> {
  const arns: string[] = [];
  for (let at = 0; at < indexes.length; at += 25) {
    const chunk = indexes.slice(at, at + 25);
    arns.push(
      ...(await Promise.all(
        chunk.map(async (i) => {
          const out = await c.send(
            new StartAsyncInvokeCommand({
              modelId: MODEL,
              modelInput: converse(`back-fill row ${i}`),
              clientRequestToken: `backfill-row-${i}`,
              outputDataConfig: { s3OutputDataConfig: { s3Uri: `s3://${CALLERS}/backfill` } },
            }),
          );
          return out.invocationArn!;
        }),
      )),
    );
  }
  return arns;
}

async function kill(g: GatewayChild): Promise<void> {
  g.child.kill('SIGKILL');
  const { signal } = await g.exit;
  expect(signal).toBe('SIGKILL');
}

beforeAll(async () => {
  bedrock = await startLocalBedrock({ s3: {}, batch: { jobDurationMs: HOUR, clock: () => BATCH_T0 } });
  bedrock.batch.s3.createBucket(STATE);
  bedrock.batch.s3.createBucket(CALLERS);
});
afterEach(async () => {
  for (const g of running.splice(0)) {
    g.child.kill('SIGKILL');
    await g.exit;
  }
});
afterAll(async () => {
  await bedrock?.close();
});

describe('the async API across a kill -9 of the gateway', () => {
  it(
    'completes every submission exactly once, mid-accumulation and mid-job, without a second job',
    { timeout: 600_000 },
    async () => {
      const first = await runGatewayChild(env());
      running.push(first);
      const before = await submit(
        client(first),
        Array.from({ length: 150 }, (_, i) => i),
      );
      // One job of 100 sent and running; 50 calls waiting for the next one.
      await expect.poll(() => bedrock.batch.snapshot().length).toBe(1);
      expect(bedrock.batch.snapshot()[0]).toMatchObject({ status: 'InProgress', records: 100 });
      await kill(first);

      const second = await runGatewayChild(env());
      running.push(second);
      const c = client(second);
      // A caller retrying with its token after the restart gets the invocation it started.
      expect(await submit(c, [3, 120])).toEqual([before[3], before[120]]);
      const after = await submit(
        c,
        Array.from({ length: 50 }, (_, i) => 150 + i),
      );
      await expect.poll(() => bedrock.batch.snapshot().length).toBe(2);
      bedrock.batch.advance(HOUR);

      const all = [...before, ...after];
      const wanted = new Set(all);
      await expect
        .poll(
          async () => {
            const open = await c.send(new ListAsyncInvokesCommand({ statusEquals: 'InProgress' }));
            return (open.asyncInvokeSummaries ?? []).filter((s) => wanted.has(s.invocationArn!)).length;
          },
          { interval: 200 },
        )
        .toBe(0);
      const states = await Promise.all(all.map((arn) => c.send(new GetAsyncInvokeCommand({ invocationArn: arn }))));
      expect(states.every((s) => s.status === 'Completed')).toBe(true);
      // No second job for the first batch: two jobs of 100, the first created before the kill.
      expect(bedrock.batch.snapshot().map((j) => j.records)).toEqual([100, 100]);
      // Every caller's answer is in its own place, and every call was recorded once.
      for (const arn of all)
        expect(
          bedrock.batch.s3.get(CALLERS, `backfill/${arn.split('/').at(-1)}/output.json`).body.length,
        ).toBeGreaterThan(0);
      const costs = (await (await fetch(`${second.url}/costs`, { headers: { 'x-api-key': 'demo-key' } })).json()) as {
        total: { calls: number };
      };
      expect(costs.total.calls).toBe(200);
      const ended = second
        .stdout()
        .split('\n')
        .filter((l) => l.includes('"msg":"async call ended"'));
      expect(ended).toHaveLength(200);
      expect(new Set(ended.map((l) => /"invocation":"([a-z0-9]+)"/.exec(l)![1])).size).toBe(200);
    },
  );
});
