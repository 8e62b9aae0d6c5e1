/**
 * The servers the gateway section measures, each in its own process on 127.0.0.1 (one node process per server, no
 * npx/tsx CLI wrapper, so its pid is the server's). The gateway is the production bundle the container runs: built
 * once per bench run by the image's own script (apps/infra/docker/bundle-gateway.mjs) and started as
 * `node gateway.mjs` with NODE_ENV=production, as the image's CMD does.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ChildServer } from './lib/child-server';
import { startChildServer } from './lib/child-server';
import type { PostTarget } from './lib/http-load';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUNDLE_SCRIPT = fileURLToPath(new URL('../../apps/infra/docker/bundle-gateway.mjs', import.meta.url));
const BEDROCK_MAIN = fileURLToPath(new URL('../../packages/bedrock-local/src/main.ts', import.meta.url));
const BASELINE_MAIN = fileURLToPath(new URL('./node-http-baseline.child.mjs', import.meta.url));

/** Variables of the bench's own environment that would change what the gateway child is. */
const NEUTRAL_GATEWAY_ENV = {
  REDIS_URL: '',
  NOVA_COST_CONFIG: '',
  AWS_REGION: '',
  AWS_DEFAULT_REGION: '',
  BEDROCK_ENDPOINT: '',
  BODY_LIMIT_BYTES: '',
  LOG_LEVEL: '',
};

let bundle: Promise<string> | undefined;

/** The gateway bundle of this checkout, built on first use into a temporary directory removed at exit. */
export function gatewayBundle(): Promise<string> {
  bundle ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nova-cost-bench-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'gateway.mjs');
    await promisify(execFile)(process.execPath, [BUNDLE_SCRIPT, file], { cwd: ROOT, timeout: 120_000 });
    return file;
  })();
  return bundle;
}

/** The local Bedrock endpoint (@nova-cost/bedrock-local's CLI) with no added latency; with `s3Port`, its local S3 too. */
export function startBedrockProcess(port: number, s3Port?: number): Promise<ChildServer> {
  return startChildServer({
    name: 'local Bedrock endpoint',
    args: [
      ...['--import', 'tsx', BEDROCK_MAIN, '--port', String(port), '--latency-ms', '0'],
      ...(s3Port === undefined ? [] : ['--s3-port', String(s3Port)]),
    ],
    port,
    readyPath: '/__stats',
    cwd: ROOT,
  });
}

/**
 * The gateway as deployed (the production bundle under plain node, NODE_ENV=production, in-memory cache, default log
 * level `info` to a discarded stdout). With `bedrockUrl` it calls that endpoint over HTTP (BEDROCK_ENDPOINT); without, it runs the embedded
 * default with the local endpoint in its own process. `env` adds or overrides variables (e.g. REDIS_URL);
 * `nodeArgs` go to node before the bundle (e.g. `--import` of a probe).
 */
export async function startGatewayProcess(
  port: number,
  bedrockUrl?: string,
  env: Record<string, string> = {},
  nodeArgs: readonly string[] = [],
): Promise<ChildServer> {
  const upstream: Record<string, string> = bedrockUrl
    ? {
        BEDROCK_ENDPOINT: bedrockUrl,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
      }
    : {};
  return startChildServer({
    name: 'nova-cost gateway',
    args: [...nodeArgs, await gatewayBundle()],
    port,
    readyPath: '/healthz',
    cwd: ROOT,
    env: {
      ...NEUTRAL_GATEWAY_ENV,
      NODE_ENV: 'production',
      ...upstream,
      PORT: String(port),
      HOST: '127.0.0.1',
      DRAIN_DEADLINE_MS: '1000',
      ...env,
    },
  });
}

/**
 * The bare node:http baseline (node-http-baseline.child.mjs) answering every request with `body` and `headers`,
 * under plain node like the gateway's bundle and Portkey's.
 */
export function startBaselineProcess(
  port: number,
  body: Buffer,
  headers: Record<string, string>,
): Promise<ChildServer> {
  return startChildServer({
    name: 'node:http baseline',
    args: [BASELINE_MAIN],
    port,
    cwd: ROOT,
    env: { PORT: String(port), BASELINE_BODY: body.toString('base64'), BASELINE_HEADERS: JSON.stringify(headers) },
  });
}

/** The gateway's Bedrock route for `modelId`, with the demo tenant's API key. */
export function gatewayTarget(gatewayUrl: string, modelId: string): PostTarget {
  return { url: `${gatewayUrl}/model/${encodeURIComponent(modelId)}/converse`, headers: { 'x-api-key': 'demo-key' } };
}

/** Calling the local endpoint directly, as the gateway does on a miss. */
export function directTarget(bedrockUrl: string, modelId: string): PostTarget {
  return { url: `${bedrockUrl}/model/${encodeURIComponent(modelId)}/converse`, headers: {} };
}

/** A deterministic (temperature 0, so cacheable) Converse request body. */
export function converseBody(text: string, maxTokens: number): string {
  return JSON.stringify({
    messages: [{ role: 'user', content: [{ text }] }],
    inferenceConfig: { temperature: 0, maxTokens },
  });
}

/** How many model calls the local endpoint has received (its /__stats). */
export function bedrockCalls(bedrockUrl: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(`${bedrockUrl}/__stats`, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve((JSON.parse(Buffer.concat(chunks).toString()) as { calls: number }).calls));
    })
      .on('error', reject)
      .end();
  });
}

/** CPU time (user + system, every thread) a process has used, in ms, from /proc/<pid>/stat (10 ms ticks). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
