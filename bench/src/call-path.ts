/**
 * The production source files one cache-miss Converse call crosses: a gateway started as `npm start` starts it (the
 * embedded default: in-memory cache and ledger, the local Bedrock endpoint in process) answers a warm-up call, then
 * one call whose answer is not cached yet, through the AWS SDK over HTTP; V8's coverage of that one call (its counters
 * reset after the warm-up) names every file with a function that ran. Production files: packages/* and apps/* sources,
 * less specs, test helpers (src/testing, packages/testing) and the local Bedrock endpoint standing in for AWS.
 *
 *   npm run call-path -w @nova-cost/bench [-- --list]
 *
 * Issue #14 measured 29 files in 6 projects before the call was given one shape.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { takeCoverage } from 'node:v8';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

if (process.env['NODE_V8_COVERAGE'] === undefined) {
  // Coverage is collected only by a process started with NODE_V8_COVERAGE: run again as one.
  const dir = mkdtempSync(join(tmpdir(), 'call-path-'));
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    env: { ...process.env, NODE_V8_COVERAGE: dir },
    stdio: 'inherit',
  });
  rmSync(dir, { recursive: true, force: true });
  process.exit(child.status ?? 1);
}

interface ScriptCoverage {
  readonly url: string;
  readonly functions: readonly { readonly ranges: readonly { readonly count: number }[] }[];
}

/** A file of the product, as opposed to a dependency, a spec, a test helper or the stand-in for AWS. */
function productionFile(path: string): boolean {
  const rel = relative(ROOT, path);
  return (
    /^(packages|apps)\/[^/]+\/src\//.test(rel) &&
    !rel.includes('node_modules') &&
    !/\.(spec|bench)\.ts$/.test(rel) &&
    !rel.includes('/src/testing/') &&
    !rel.startsWith('packages/testing/') &&
    !rel.startsWith('packages/bedrock-local/')
  );
}

/** The production files with a function that ran, from the coverage file V8 wrote last. */
function crossedFiles(dir: string, known: ReadonlySet<string>): string[] {
  const fresh = readdirSync(dir).filter((f) => !known.has(f));
  if (fresh.length !== 1) throw new Error(`expected one new coverage file in ${dir}, found ${fresh.length}`);
  const { result } = JSON.parse(readFileSync(join(dir, fresh[0]!), 'utf8')) as { result: ScriptCoverage[] };
  const files = new Set<string>();
  for (const script of result) {
    if (!script.url.startsWith('file://')) continue;
    const path = fileURLToPath(script.url);
    if (productionFile(path) && script.functions.some((f) => (f.ranges[0]?.count ?? 0) > 0))
      files.add(relative(ROOT, path));
  }
  return [...files].sort();
}

const { loadConfig, startGateway } = await import('@nova-cost/gateway');
const gateway = await startGateway({ ...loadConfig({ LOG_LEVEL: 'silent' }), port: 0 }, { emfIntervalMs: 0 });
const client = new BedrockRuntimeClient({
  endpoint: gateway.url,
  region: 'us-east-1',
  credentials: { accessKeyId: 'demo', secretAccessKey: 'demo-secret' },
  maxAttempts: 1,
});
const converse = (text: string) =>
  new ConverseCommand({
    modelId: 'amazon.nova-lite-v1:0',
    messages: [{ role: 'user', content: [{ text }] }],
    // Deterministic: the policy caches it, so the measured call is a cache miss, not a bypass.
    inferenceConfig: { temperature: 0, maxTokens: 64 },
  });
try {
  await client.send(converse('a warm-up question, so that what runs once per process is not counted'));
  const dir = process.env['NODE_V8_COVERAGE']!;
  takeCoverage(); // writes what ran so far, and resets the counters
  const known = new Set(readdirSync(dir));
  const answer = await client.send(converse('the measured question, asked once'));
  takeCoverage();
  const files = crossedFiles(dir, known);
  const projects = new Set(files.map((f) => f.split('/').slice(0, 2).join('/')));
  const cache = answer.$metadata.httpStatusCode === 200 ? 'answered' : 'failed';
  console.log(
    `call-path: a cache-miss Converse call (${cache}) crosses ${files.length} production files in ${projects.size} projects (issue #14: 29 in 6 before)`,
  );
  if (process.argv.includes('--list')) for (const f of files) console.log(`  ${f}`);
} finally {
  client.destroy();
  await gateway.shutdown();
}
