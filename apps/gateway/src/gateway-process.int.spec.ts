import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import type { LocalBedrock } from '@nova-cost/bedrock-local';
import { startLocalBedrock } from '@nova-cost/bedrock-local';
import type { TestRedis } from '@nova-cost/testing';
import { startTestRedis } from '@nova-cost/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const MODEL = 'amazon.nova-lite-v1:0';

interface GatewayProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exit: Promise<{ code: number | null; stderr: string; stdout: string }>;
}

/** Runs src/main.ts as `node --import tsx` does in the image; resolves once it logs its URL. */
function runGateway(env: Record<string, string>): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], { env: { PATH: process.env['PATH'] ?? '', PORT: '0', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const exit = new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr, stdout })));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString();
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(stdout);
      if (m) resolve({ child, url: m[1]!, exit });
    });
    void exit.then(({ code }) => reject(new Error(`gateway exited with ${code} before listening: ${stderr}`)));
  });
}

function client(url: string): BedrockRuntimeClient {
  return new BedrockRuntimeClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'demo', secretAccessKey: 'demo-secret' }, maxAttempts: 1 });
}

const ask = (text: string, temperature = 0) => new ConverseCommand({ modelId: MODEL, messages: [{ role: 'user', content: [{ text }] }], inferenceConfig: { temperature, maxTokens: 1000 } });

describe('gateway processes', () => {
  let bedrock: LocalBedrock;
  let redis: TestRedis;
  const running: GatewayProcess[] = [];

  // The default credential chain reads these, as it would in a container.
  let AWS_ENV: Record<string, string>;

  beforeAll(async () => {
    bedrock = await startLocalBedrock({ latency: { fixedMs: 400 } });
    redis = await startTestRedis({ controllable: true });
    AWS_ENV = { BEDROCK_ENDPOINT: bedrock.url, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };
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
    const clients = [client(a!.url), client(b!.url)];
    const outcomes: string[] = [];
    for (const c of clients) {
      c.middlewareStack.add(
        (next) => async (args) => {
          const out = await next(args);
          outcomes.push((out.response as { headers: Record<string, string> }).headers['x-nova-cost-cache'] ?? 'none');
          return out;
        },
        { step: 'deserialize', name: 'cacheOutcome' },
      );
    }
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => clients[i % 2]!.send(ask('one burst, one call'))));
    expect(outcomes.filter((o) => o === 'miss')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'coalesced' || o === 'hit')).toHaveLength(9);
    expect(new Set(answers.map((r) => JSON.stringify(r.output))).size).toBe(1);
    expect(bedrock.stats().calls).toBe(1);
  });

  it('answers every request on SIGTERM mid-run and exits 0', async () => {
    const g = await runGateway({ ...AWS_ENV, DRAIN_DEADLINE_MS: '10000' });
    const c = client(g.url);
    // Different prompts: every one goes upstream and is still in flight when the signal lands.
    const inFlight = Array.from({ length: 6 }, (_, i) => c.send(ask(`slow request ${i}`, 0.7)).then(
      (r) => r.stopReason,
      (e: Error) => `failed: ${e.message}`,
    ));
    // Wait until every request is accepted and in flight upstream (the endpoint counts calls on arrival).
    for (const until = Date.now() + 15_000; Date.now() < until && bedrock.stats().calls < 6; ) await new Promise((r) => setTimeout(r, 30));
    expect(bedrock.stats().calls).toBe(6);
    g.child.kill('SIGTERM');
    const results = await Promise.all(inFlight);
    expect(results).toEqual(Array(6).fill('end_turn'));
    const { code, stdout } = await g.exit;
    expect(code).toBe(0);
    expect(stdout).toContain('shutting down');
    expect(stdout).toContain('batcher drained');
  });

  it('stops start-up on a wrong variable with a message naming it', async () => {
    await expect(runGateway({ REDIS_URL: 'http://cache:6379' })).rejects.toThrow(/gateway exited with 1 before listening: nova-cost gateway: invalid configuration: REDIS_URL must be redis:\/\/ or rediss:\/\//);
  });
});
