import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelWithResponseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
import type { LocalBedrock } from '@nova-cost/bedrock-local';
import { startLocalBedrock } from '@nova-cost/bedrock-local';
import type { TestRedis } from '@nova-cost/testing';
import { startTestRedis } from '@nova-cost/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayChild } from './testing/gateway-child';
import { runGatewayChild as runGateway } from './testing/gateway-child';
import { gauge } from './testing/gateway-probes';
import { onAnswerHeaders } from './testing/sdk-probes';

const MODEL = 'amazon.nova-lite-v1:0';

function client(url: string): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'demo', secretAccessKey: 'demo-secret' },
    maxAttempts: 1,
  });
}

/** Adds request headers (after the SDK builds the request, before it signs it). */
function withHeaders(c: BedrockRuntimeClient, headers: Record<string, string>): BedrockRuntimeClient {
  c.middlewareStack.add(
    (next) => async (args) => {
      Object.assign((args.request as { headers: Record<string, string> }).headers, headers);
      return next(args);
    },
    { step: 'build', name: 'extraHeaders' },
  );
  return c;
}

/** Records the x-nova-cost-cache header of every answer. */
function recordCacheOutcomes(c: BedrockRuntimeClient, outcomes: string[]): BedrockRuntimeClient {
  return onAnswerHeaders(c, (headers) => outcomes.push(headers['x-nova-cost-cache'] ?? 'none'));
}

/** Polls `condition` until it holds or `ms` pass (a guard against hanging, not a deadline); the caller asserts afterwards. */
async function until(condition: () => boolean | Promise<boolean>, ms = 100_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end && !(await condition());)
    await new Promise((r) => setTimeout(r, 30));
}

/** Waits until each client's gateway serves its own warm-up prompt from the cache (its Redis connection is up). */
async function warmUp(clients: readonly BedrockRuntimeClient[], outcomes: string[]): Promise<void> {
  for (const [i, c] of clients.entries()) {
    await until(async () => (await c.send(ask(`warm-up ${i}`)), outcomes.at(-1) === 'hit'));
    expect(outcomes.at(-1)).toBe('hit');
  }
}

const ask = (text: string, temperature = 0) =>
  new ConverseCommand({
    modelId: MODEL,
    messages: [{ role: 'user', content: [{ text }] }],
    inferenceConfig: { temperature, maxTokens: 1000 },
  });

describe('gateway processes', () => {
  let bedrock: LocalBedrock;
  let redis: TestRedis;
  const running: GatewayChild[] = [];

  // The default credential chain reads these, as it would in a container.
  let AWS_ENV: Record<string, string>;

  beforeAll(async () => {
    bedrock = await startLocalBedrock({ latency: { fixedMs: 400 } });
    redis = await startTestRedis({ controllable: true });
    AWS_ENV = {
      BEDROCK_ENDPOINT: bedrock.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    };
  });
  afterEach(async () => {
    for (const g of running.splice(0)) {
      g.child.kill('SIGKILL');
      await g.exit;
    }
    bedrock.reset();
  });
  afterAll(async () => {
    await bedrock?.close();
    await redis?.close();
  });

  it('two gateways sharing Redis coalesce one burst into one upstream call', async () => {
    const env = { ...AWS_ENV, REDIS_URL: redis.url };
    const [a, b] = await Promise.all([runGateway(env), runGateway(env)]);
    running.push(a!, b!);
    const outcomes: string[] = [];
    const clients = [recordCacheOutcomes(client(a!.url), outcomes), recordCacheOutcomes(client(b!.url), outcomes)];
    // Until a gateway's Redis connection is up its cache fails open (every request a miss): wait for both.
    await warmUp(clients, outcomes);
    bedrock.reset();
    outcomes.length = 0;
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => clients[i % 2]!.send(ask('one burst, one call'))),
    );
    expect(outcomes.filter((o) => o === 'miss')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'coalesced' || o === 'hit')).toHaveLength(9);
    expect(new Set(answers.map((r) => JSON.stringify(r.output))).size).toBe(1);
    expect(bedrock.stats().calls).toBe(1);
  });

  it('answers every request on SIGTERM mid-run and exits 0', async () => {
    const g = await runGateway({ ...AWS_ENV, DRAIN_DEADLINE_MS: '10000' });
    const c = client(g.url);
    // Different prompts: every one goes upstream, where the endpoint holds it until the signal has landed.
    const release = bedrock.hold();
    const inFlight = Array.from({ length: 6 }, (_, i) =>
      c.send(ask(`slow request ${i}`, 0.7)).then(
        (r) => r.stopReason,
        (e: Error) => `failed: ${e.message}`,
      ),
    );
    // Wait until every request is accepted and in flight upstream (the endpoint counts calls on arrival).
    try {
      await until(() => bedrock.stats().calls >= 6);
      expect(bedrock.stats().calls).toBe(6);
      g.child.kill('SIGTERM');
      await until(() => g.stdout().includes('shutting down'));
    } finally {
      release();
    }
    const results = await Promise.all(inFlight);
    expect(results).toEqual(Array(6).fill('end_turn'));
    const { code, stdout } = await g.exit;
    expect(code).toBe(0);
    expect(stdout).toContain('shutting down');
    expect(stdout).toContain('batcher drained');
  });

  describe('SIGTERM with streams in flight', () => {
    /**
     * Starts a stream (ConverseStream, or InvokeModelWithResponseStream on Nova) and reads it: `started` resolves at
     * its first event, `ended` with how it ended — after which event, or the exception the SDK raised.
     */
    function streamOf(
      c: BedrockRuntimeClient,
      text: string,
      operation: 'converse-stream' | 'invoke-with-response-stream' = 'converse-stream',
    ): { started: Promise<void>; ended: Promise<string> } {
      let markStarted!: () => void;
      const started = new Promise<void>((resolve) => (markStarted = resolve));
      const messages = [{ role: 'user' as const, content: [{ text }] }];
      const inferenceConfig = { temperature: 0.7 };
      const ended = (async () => {
        try {
          const events =
            operation === 'converse-stream'
              ? (await c.send(new ConverseStreamCommand({ modelId: MODEL, messages, inferenceConfig }))).stream
              : (
                  await c.send(
                    new InvokeModelWithResponseStreamCommand({
                      modelId: MODEL,
                      body: JSON.stringify({ messages, inferenceConfig }),
                      contentType: 'application/json',
                    }),
                  )
                ).body;
          let last = 'none';
          for await (const e of (events ?? []) as AsyncIterable<object>) {
            markStarted();
            last = Object.keys(e)[0] ?? 'none';
          }
          return `ended after ${last}`;
        } catch (e) {
          markStarted();
          return `raised ${(e as Error).name}`;
        }
      })();
      return { started, ended };
    }

    afterEach(() => bedrock.configure({ latency: { fixedMs: 400, perOutputTokenMs: 0 }, faults: { midStream: null } }));

    it('lets streams under way finish within the drain deadline, and exits 0', async () => {
      bedrock.configure({ latency: { fixedMs: 0, perOutputTokenMs: 10 } });
      const g = await runGateway({ ...AWS_ENV, DRAIN_DEADLINE_MS: '30000' });
      running.push(g);
      const c = client(g.url);
      const streams = Array.from({ length: 4 }, (_, i) => streamOf(c, `a stream that finishes ${i}`));
      await Promise.all(streams.map((s) => s.started));
      g.child.kill('SIGTERM');
      expect(await Promise.all(streams.map((s) => s.ended))).toEqual(Array(4).fill('ended after metadata'));
      const { code, stdout } = await g.exit;
      expect(code).toBe(0);
      expect(stdout.match(/"msg":"model stream"/g)).toHaveLength(4);
    });

    it('ends the streams still running at the drain deadline with an exception event, and exits 0', async () => {
      bedrock.configure({ latency: { fixedMs: 0 }, faults: { midStream: { kind: 'stall', afterEvents: 2 } } });
      const g = await runGateway({ ...AWS_ENV, DRAIN_DEADLINE_MS: '3000' });
      running.push(g);
      const c = client(g.url);
      const streams = Array.from({ length: 3 }, (_, i) => streamOf(c, `a stream that stalls ${i}`));
      await Promise.all(streams.map((s) => s.started));
      g.child.kill('SIGTERM');
      expect(await Promise.all(streams.map((s) => s.ended))).toEqual(
        Array(3).fill('raised ServiceUnavailableException'),
      );
      const { code } = await g.exit;
      expect(code).toBe(0);
    });

    it('ends each stream in flight either complete or with an exception event the SDK raises, and exits 0', async () => {
      // Three of the six streams stall after their second event; the others run to their end at 10 ms a token.
      bedrock.configure({
        latency: { fixedMs: 0, perOutputTokenMs: 10 },
        faults: { midStream: { kind: 'stall', afterEvents: 2, streams: 3 } },
      });
      const g = await runGateway({ ...AWS_ENV, DRAIN_DEADLINE_MS: '10000' });
      running.push(g);
      const c = client(g.url);
      const streams = [
        ...Array.from({ length: 4 }, (_, i) => streamOf(c, `a converse stream in flight ${i}`)),
        ...Array.from({ length: 2 }, (_, i) =>
          streamOf(c, `an invoke stream in flight ${i}`, 'invoke-with-response-stream'),
        ),
      ];
      await Promise.all(streams.map((s) => s.started));
      g.child.kill('SIGTERM');
      const ends = await Promise.all(streams.map((s) => s.ended));
      for (const [i, end] of ends.entries())
        expect(end).toMatch(
          i < 4
            ? /^ended after metadata$|^raised ServiceUnavailableException$/
            : /^ended after chunk$|^raised ServiceUnavailableException$/,
        );
      expect(ends.filter((e) => e.startsWith('raised'))).toHaveLength(3);
      const { code, stdout } = await g.exit;
      expect(code).toBe(0);
      // Every stream is settled and logged, the ones cut at the deadline too.
      expect(stdout.match(/"msg":"model stream"/g)).toHaveLength(6);
    });
  });

  it('serves a repeated request from Redis: a second gateway answers it as a hit without calling upstream', async () => {
    const env = { ...AWS_ENV, REDIS_URL: redis.url };
    const [a, b] = await Promise.all([runGateway(env), runGateway(env)]);
    running.push(a!, b!);
    const outcomes: string[] = [];
    const [ca, cb] = [recordCacheOutcomes(client(a!.url), outcomes), recordCacheOutcomes(client(b!.url), outcomes)];
    // Each gateway opens its Redis connection in the background (the cache fails open until then).
    await warmUp([ca, cb], outcomes);
    bedrock.reset();
    outcomes.length = 0;
    const first = await ca.send(ask('asked twice, answered once'));
    const again = await cb.send(ask('asked twice, answered once'));
    expect(outcomes).toEqual(['miss', 'hit']);
    expect(again.output).toEqual(first.output);
    expect(bedrock.stats().calls).toBe(1);
  });

  it('answers every request on SIGTERM with Redis and deferrable requests still queued in the batcher, and exits 0', async () => {
    // The endpoint holds upstream calls until the signal has landed: the 16 interactive calls fill every batcher
    // slot (concurrency 16), so the deferrable ones wait in its queue until SIGTERM drains them.
    const release = bedrock.hold();
    try {
      const g = await runGateway({ ...AWS_ENV, REDIS_URL: redis.url, DRAIN_DEADLINE_MS: '30000' });
      running.push(g);
      const interactive = client(g.url);
      const deferrable = withHeaders(client(g.url), { 'x-nova-cost-lane': 'deferrable' });
      const answer = (p: Promise<{ stopReason?: string }>) =>
        p.then(
          (r) => r.stopReason,
          (e: Error) => `failed: ${e.message}`,
        );
      const inFlight = Array.from({ length: 16 }, (_, i) => answer(interactive.send(ask(`interactive ${i}`, 0.7))));
      await until(() => bedrock.stats().calls >= 16);
      // Deterministic, so each is looked up in Redis (a miss) before it queues.
      const queued = Array.from({ length: 6 }, (_, i) => answer(deferrable.send(ask(`deferrable ${i}`))));
      await until(async () => (await gauge(g.url, 'nova_cost_batch_queue_depth')) === 6);
      expect(await gauge(g.url, 'nova_cost_batch_queue_depth')).toBe(6);
      expect(bedrock.stats().calls).toBe(16);
      g.child.kill('SIGTERM');
      await until(() => g.stdout().includes('shutting down'));
      release();
      expect(await Promise.all([...inFlight, ...queued])).toEqual(Array(22).fill('end_turn'));
      const { code, stdout } = await g.exit;
      expect(code).toBe(0);
      expect(stdout).toContain('"drain":{"completed":22,"failed":0,"rejected":0}');
      expect(bedrock.stats().calls).toBe(22);
    } finally {
      release();
    }
  });

  it('keeps two gateways sharing Redis within one daily budget together, however the calls are spread over them', async () => {
    // About seven calls' worst case (Nova Lite, 50 output tokens at most), asked for 40 times at once through both.
    const LIMIT_USD = 0.0001;
    const KEY = 'fleet-key-0123456789';
    const document = {
      tenants: [{ id: 'fleet', apiKeys: [KEY] }],
      policy: { budgets: { default: { dailyUsd: LIMIT_USD } } },
    };
    const env = { ...AWS_ENV, REDIS_URL: redis.url, NOVA_COST_CONFIG_JSON: JSON.stringify(document) };
    const [a, b] = await Promise.all([runGateway(env), runGateway(env)]);
    running.push(a!, b!);
    const costs = (g: GatewayChild) => fetch(`${g.url}/costs`, { headers: { 'x-api-key': KEY } });
    // Each gateway connects to Redis in the background; until then its budget would fail open.
    for (const g of [a!, b!]) await until(async () => (await costs(g)).status === 200);
    const converse = (g: GatewayChild, i: number) =>
      fetch(`${g.url}/model/${MODEL}/converse`, {
        method: 'POST',
        headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
        // temperature 0.7: not cacheable, every admitted call is billed.
        body: JSON.stringify({
          messages: [{ role: 'user', content: [{ text: `spend ${i}` }] }],
          inferenceConfig: { temperature: 0.7, maxTokens: 50 },
        }),
      });
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => converse(i % 2 ? a! : b!, i)));
    const costs200 = answers.filter((r) => r.status === 200).map((r) => Number(r.headers.get('x-nova-cost-usd')));
    const billed = costs200.reduce((sum, usd) => sum + usd, 0);
    expect(answers.filter((r) => r.status === 429).length).toBeGreaterThan(0);
    expect(billed).toBeGreaterThan(0);
    // Each call admitted with a fleet hold fit, at its admission, beside everything recorded and held (one atomic
    // script), and a hold is never less than what its call costs: those calls stay within the limit. A call whose hold
    // Redis could not answer in time (a stalled Redis; on a busy machine it happens) is admitted on its task's own
    // reckoning, and can take the fleet past the limit by its own cost at most. Each such call is counted.
    const failedOpen =
      (await gauge(a!.url, 'nova_cost_budget_fail_open_total')) +
      (await gauge(b!.url, 'nova_cost_budget_fail_open_total'));
    expect(billed).toBeLessThanOrEqual(LIMIT_USD + failedOpen * Math.max(...costs200) + 1e-12);
    // The ledger both read agrees, once each has written its entries (every 200 ms).
    const spent = async (g: GatewayChild) =>
      ((await (await costs(g)).json()) as { total: { costUsd: number } }).total.costUsd;
    await until(async () => Math.abs((await spent(a!)) - billed) < 1e-9 && Math.abs((await spent(b!)) - billed) < 1e-9);
    expect(await spent(a!)).toBeCloseTo(billed, 9);
    expect(await spent(b!)).toBeCloseTo(billed, 9);
  });

  it('stops start-up when BEDROCK_ENDPOINT is set and no AWS credentials can be found, saying where they come from', async () => {
    // No keys, no files, no instance metadata (never asked: this machine has no such service).
    const env = {
      BEDROCK_ENDPOINT: bedrock.url,
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    await expect(runGateway(env)).rejects.toThrow(
      /gateway exited with 1 before listening:.*no AWS credentials to call Bedrock: set AWS_ACCESS_KEY_ID/s,
    );
    expect(bedrock.stats().calls).toBe(0);
  });

  it('stops start-up on a wrong variable with a message naming it', async () => {
    await expect(runGateway({ REDIS_URL: 'http://cache:6379' })).rejects.toThrow(
      /gateway exited with 1 before listening: nova-cost gateway: invalid configuration: REDIS_URL must be redis:\/\/ or rediss:\/\//,
    );
  });
});
