import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import type { TestRedis } from '@nova-cost/testing';
import { startTestRedis } from '@nova-cost/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config/load-config';
import type { Gateway } from './gateway';
import { startGateway } from './gateway';
import { createLogger } from './observability/logger';

const MODEL = 'amazon.nova-lite-v1:0';
const silent = createLogger('silent');
const ask = (text: string) =>
  new ConverseCommand({
    modelId: MODEL,
    messages: [{ role: 'user', content: [{ text }] }],
    inferenceConfig: { temperature: 0, maxTokens: 1000 },
  });
const sdk = (url: string) =>
  new BedrockRuntimeClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'demo', secretAccessKey: 'demo-secret' },
    maxAttempts: 1,
  });

function configFile(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'gw-faults-')), 'nova-cost.json');
  writeFileSync(path, JSON.stringify(content));
  return path;
}

describe('gateway under faults', () => {
  describe('having Redis killed mid-run', () => {
    let redis: TestRedis;
    let gateway: Gateway;
    beforeAll(async () => {
      redis = await startTestRedis({ controllable: true });
      gateway = await startGateway(
        { ...loadConfig({ REDIS_URL: redis.url }), port: 0 },
        { logger: silent, emfIntervalMs: 0 },
      );
    });
    afterAll(async () => {
      await gateway?.shutdown();
      await redis?.close();
    });

    it('fails no request (the cache fails open) and stays ready', async () => {
      // The Redis connection opens in the background: wait until the cache serves a repeat before the fault.
      const warmUp = () =>
        fetch(`${gateway.url}/model/${MODEL}/converse`, {
          method: 'POST',
          headers: { 'x-api-key': 'demo-key', 'content-type': 'application/json' },
          body: JSON.stringify({
            messages: [{ role: 'user', content: [{ text: 'warm-up' }] }],
            inferenceConfig: { temperature: 0 },
          }),
        }).then((r) => r.headers.get('x-nova-cost-cache'));
      for (const until = Date.now() + 100_000; Date.now() < until && (await warmUp()) !== 'hit';)
        await new Promise((r) => setTimeout(r, 100));
      const before = gateway.localBedrock!.stats().calls;
      const client = sdk(gateway.url);
      const statuses: string[] = [];
      for (let i = 0; i < 30; i++) {
        if (i === 10) {
          // Ten requests over five prompts: the repeats were served from Redis.
          expect(gateway.localBedrock!.stats().calls - before).toBe(5);
          await redis.stop();
        }
        if (i === 20) await redis.restart();
        const out = await client.send(ask(`request ${i % 5}`)).then(
          (r) => r.stopReason ?? 'no stop reason',
          (e: Error) => `failed: ${e.message}`,
        );
        statuses.push(out);
      }
      expect(statuses).toEqual(Array(30).fill('end_turn'));
      expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200);
    });

    it('fails no request of a concurrent burst when Redis is killed while the burst is in flight', async () => {
      const client = sdk(gateway.url);
      const send = (text: string) =>
        client.send(ask(text)).then(
          (r) => r.stopReason ?? 'no stop reason',
          (e: Error) => `failed: ${e.message}`,
        );
      // Redis is back from the test before: wait until the cache serves from it again.
      const outcome = async () =>
        (
          await fetch(`${gateway.url}/model/${MODEL}/converse`, {
            method: 'POST',
            headers: { 'x-api-key': 'demo-key', 'content-type': 'application/json' },
            body: JSON.stringify({
              messages: [{ role: 'user', content: [{ text: 'burst warm-up' }] }],
              inferenceConfig: { temperature: 0, maxTokens: 1000 },
            }),
          })
        ).headers.get('x-nova-cost-cache');
      for (const until = Date.now() + 100_000; Date.now() < until && (await outcome()) !== 'hit';)
        await new Promise((r) => setTimeout(r, 100));
      expect(await outcome()).toBe('hit');
      // Slow upstream calls keep the burst (cache lookups, coalescing leaders and followers) in flight across the kill.
      gateway.localBedrock!.configure({ latency: { fixedMs: 1_000 } });
      try {
        const before = gateway.localBedrock!.stats().calls;
        const burst = Array.from({ length: 40 }, (_, i) => send(`concurrent ${i % 8}`));
        for (const until = Date.now() + 100_000; Date.now() < until && gateway.localBedrock!.stats().calls === before;)
          await new Promise((r) => setTimeout(r, 10));
        expect(gateway.localBedrock!.stats().calls).toBeGreaterThan(before);
        await redis.stop();
        // And a second burst while Redis is down.
        const whileDown = Array.from({ length: 20 }, (_, i) => send(`while down ${i % 4}`));
        expect(await Promise.all([...burst, ...whileDown])).toEqual(Array(60).fill('end_turn'));
        expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200);
      } finally {
        gateway.localBedrock!.configure({ latency: { fixedMs: 0 } });
        await redis.restart();
      }
    });
  });

  describe('having a throttling upstream', () => {
    let gateway: Gateway;
    beforeAll(async () => {
      // Few, fast retries: the production defaults back off for seconds before giving up.
      const tuning = {
        bedrockMaxAttempts: 1,
        batching: { retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 } },
      };
      gateway = await startGateway({ ...loadConfig({}), port: 0, tuning }, { logger: silent, emfIntervalMs: 0 });
      gateway.localBedrock!.configure({ faults: { throttleRate: 1 } });
    });
    afterAll(() => gateway?.shutdown());

    it('answers 429 ThrottlingException that the SDK raises as such, after the retries', async () => {
      const calls = gateway.localBedrock!.stats().calls;
      await expect(sdk(gateway.url).send(ask('throttled'))).rejects.toMatchObject({
        name: 'ThrottlingException',
        $metadata: { httpStatusCode: 429 },
      });
      expect(gateway.localBedrock!.stats().calls - calls).toBe(2);
    });
  });

  describe('having an upstream that throttles one call in twenty', () => {
    let gateway: Gateway;
    beforeAll(async () => {
      gateway = await startGateway({ ...loadConfig({}), port: 0 }, { logger: silent, emfIntervalMs: 0 });
      gateway.localBedrock!.configure({ faults: { throttleRate: 0.05 } });
    });
    afterAll(() => gateway?.shutdown());

    it('answers every request, each throttled call retried once by the batcher alone (no SDK retries stacked under it)', async () => {
      const send = (i: number) =>
        fetch(`${gateway.url}/model/${MODEL}/converse`, {
          method: 'POST',
          headers: { 'x-api-key': 'demo-key', 'content-type': 'application/json' },
          body: JSON.stringify({
            messages: [{ role: 'user', content: [{ text: `noisy ${i}` }] }],
            inferenceConfig: { temperature: 0.7 },
          }),
        }).then((r) => r.status);
      const statuses = await Promise.all(Array.from({ length: 100 }, (_, i) => send(i)));
      expect(statuses).toEqual(Array(100).fill(200));
      const { calls, faults } = gateway.localBedrock!.stats();
      expect(faults).toBeGreaterThan(0);
      // One upstream call per request plus one per throttle: nothing multiplied the retries.
      expect(calls).toBe(100 + faults);
    });
  });

  describe('having an upstream that does not answer', () => {
    let gateway: Gateway;
    beforeAll(async () => {
      gateway = await startGateway(
        { ...loadConfig({ BEDROCK_TIMEOUT_MS: '1000' }), port: 0 },
        { logger: silent, emfIntervalMs: 0 },
      );
    });
    afterAll(() => gateway?.shutdown());

    it('answers 408 ModelTimeoutException after BEDROCK_TIMEOUT_MS, having sent (and been billed for) one attempt', async () => {
      const release = gateway.localBedrock!.hold();
      try {
        await expect(sdk(gateway.url).send(ask('never answered'))).rejects.toMatchObject({
          name: 'ModelTimeoutException',
          $metadata: { httpStatusCode: 408 },
        });
        expect(gateway.localBedrock!.stats().calls).toBe(1);
      } finally {
        release();
      }
    });
  });

  describe('having a full batching queue', () => {
    let gateway: Gateway;
    beforeAll(async () => {
      // One call at a time and room for two waiting (the one tenant may fill it): a burst of eight overflows the queue.
      const tuning = { batching: { concurrency: 1, maxQueueSize: 2, maxQueueSharePerTenant: 1 } };
      gateway = await startGateway({ ...loadConfig({}), port: 0, tuning }, { logger: silent, emfIntervalMs: 0 });
    });
    afterAll(() => gateway?.shutdown());

    it('answers the overflow 429 ThrottlingException with Retry-After and a JSON body naming the queue, and serves the rest', async () => {
      const send = (i: number) =>
        fetch(`${gateway.url}/model/${MODEL}/converse`, {
          method: 'POST',
          headers: { 'x-api-key': 'demo-key', 'content-type': 'application/json' },
          body: JSON.stringify({
            messages: [{ role: 'user', content: [{ text: `burst ${i}` }] }],
            inferenceConfig: { temperature: 0.5 },
          }),
        });
      // The endpoint holds the one call in flight until the whole burst has been judged: the overflow is answered
      // at once, the rest wait, however slowly the burst arrives.
      const release = gateway.localBedrock!.hold();
      let settled = 0;
      const burst = Array.from({ length: 8 }, (_, i) => send(i).finally(() => (settled += 1)));
      try {
        await expect.poll(() => settled).toBe(5);
        expect(gateway.localBedrock!.stats().calls).toBe(1);
      } finally {
        release();
      }
      const answers = await Promise.all(burst);
      const refused = answers.filter((r) => r.status === 429);
      const served = answers.filter((r) => r.status === 200);
      expect(served).toHaveLength(3); // one in flight and two queued
      expect(refused).toHaveLength(5);
      for (const r of refused) {
        expect(r.headers.get('x-amzn-errortype')).toBe('ThrottlingException');
        expect(r.headers.get('retry-after')).toBe('1');
        const body = (await r.json()) as {
          message: string;
          error: { kind: string; details: { maxQueueSize: number } };
        };
        expect(body.error).toMatchObject({ kind: 'queue-full', details: { maxQueueSize: 2 } });
        expect(body.message).toMatch(/maxQueueSize/);
      }
      expect(gateway.localBedrock!.stats().calls).toBe(served.length);
    });
  });

  describe('having tenant budgets', () => {
    let gateway: Gateway;
    beforeAll(async () => {
      const path = configFile({
        tenants: [
          { id: 'daily', apiKeys: ['daily-key-1'] },
          { id: 'monthly', apiKeys: ['monthly-key-1'] },
          { id: 'strict', apiKeys: ['strict-key-1'] },
        ],
        policy: {
          budgets: {
            byTenant: {
              daily: { dailyUsd: 0.0000001 },
              monthly: { monthlyUsd: 0.0000001 },
              strict: { dailyUsd: 0.0000001, onExceeded: 'stop' },
            },
          },
        },
      });
      gateway = await startGateway(
        { ...loadConfig({ NOVA_COST_CONFIG: path }), port: 0 },
        { logger: silent, emfIntervalMs: 0 },
      );
    });
    afterAll(() => gateway?.shutdown());

    const call = (key: string) =>
      fetch(`${gateway.url}/model/${MODEL}/converse`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({
          messages: [{ role: 'user', content: [{ text: 'a long answer please' }] }],
          inferenceConfig: { maxTokens: 4000 },
        }),
      });

    it('refuses a daily budget with 429 and Retry-After, naming the limit', async () => {
      const res = await call('daily-key-1');
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      const body = (await res.json()) as { message: string; error: { kind: string; details: Record<string, unknown> } };
      expect(body.error).toMatchObject({ kind: 'budget-exceeded', details: { period: 'daily' } });
      expect(body.message).toMatch(/budget/);
    });

    it('refuses a monthly budget with 402', async () => {
      const res = await call('monthly-key-1');
      expect(res.status).toBe(402);
      expect(((await res.json()) as { error: { details: Record<string, unknown> } }).error.details).toMatchObject({
        period: 'monthly',
      });
    });

    it("refuses with the status of the outcome the budget names (onExceeded 'stop' on a daily limit: 402)", async () => {
      const res = await call('strict-key-1');
      expect(res.status).toBe(402);
      expect(res.headers.get('x-amzn-errortype')).toBe('BudgetExceededException');
      expect(((await res.json()) as { error: { details: Record<string, unknown> } }).error.details).toMatchObject({
        period: 'daily',
        onExceeded: 'stop',
      });
    });

    it('does not accept the demo tenant once a config file names the tenants', async () => {
      expect((await call('demo-key')).status).toBe(403);
    });
  });
});
