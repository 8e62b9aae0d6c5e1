import type { ChildProcess } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SavingsReport } from '../report/report-data';
import { jsonLines, tempDir } from '../testing/log-files';
import { converseRecord } from '../testing/log-records';
import type { LocalS3 } from '../testing/local-s3';
import { LOCAL_S3_CREDENTIALS, startLocalS3 } from '../testing/local-s3';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
const GATEWAY_MAIN = fileURLToPath(new URL('../../../gateway/src/main.ts', import.meta.url));
const LITE_120_80 = (120 * 0.06 + 80 * 0.24) / 1e6;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `npm run report -- …` as the root script does (tsx on src/main.ts), stderr not a terminal. */
function report(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', MAIN, ...args],
      { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 170_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

const readReport = async (dir: string): Promise<SavingsReport> =>
  JSON.parse(await readFile(join(dir, 'savings-report.json'), 'utf8')) as SavingsReport;

describe('npm run report', () => {
  it('replays the seeded sample on a fresh checkout and writes the HTML and JSON report', async () => {
    const out = await tempDir();
    const run = await report(['sample', '--out', out]);
    expect(run.stderr).toContain('sample: 20,000 records');
    expect(run.stderr).toMatch(/replaying \d+ file\(s\)/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^Bedrock bill \$[\d.]+ → \$[\d.]+ with nova-cost: \$[\d.]+ saved \([\d.]+%\) over [\d,]+ calls$/m,
    );
    const figures = await readReport(out);
    expect(figures.schema).toBe('nova-cost/savings-report/1');
    expect(figures.records.read).toBe(20_000);
    expect(figures.total.savedUsd).toBeGreaterThan(0);
    expect(Object.keys(figures.total.byLever).sort()).toEqual([
      'batching',
      'cache',
      'coalescing',
      'output-cap',
      'prompt-cache',
      'routing',
      'service-tier',
    ]);
    // The sample's checkout assistant repeats its system prompt: the policy's guarded cache points pay there.
    expect(figures.total.byLever['prompt-cache']!.savedUsd).toBeGreaterThan(0);
    expect(figures.byTenant.find((t) => t.key === 'checkout')!.byLever['prompt-cache']).toBeDefined();
    expect(figures.byTenant.map((t) => t.key).sort()).toEqual(['agent', 'checkout', 'reporting', 'search', 'support']);
    const html = await readFile(join(out, 'savings-report.html'), 'utf8');
    expect(html).toContain('<canvas id="chart-spend"');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
  }, 180_000);

  it('refuses a call without logs with a usage message and exit code 2', async () => {
    const run = await report([]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('nova-cost report: name the logs to replay');
    expect(run.stderr).toContain('Usage:');
  });

  it('names a policy file it cannot use, and the path in it', async () => {
    const dir = await tempDir();
    const policy = join(dir, 'policy.json');
    await writeFile(policy, JSON.stringify({ policy: { cache: { defaultTtlSeconds: -1 } } }));
    const run = await report([dir, '--policy', policy, '--out', dir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `nova-cost report: policy file ${policy} policy.cache.defaultTtlSeconds must be a number of seconds >= 0\n`,
    );
  });

  describe('having logs in S3', () => {
    let s3: LocalS3;

    beforeAll(async () => {
      s3 = await startLocalS3('shop-logs');
      const at = (s: number) => new Date(Date.parse('2026-03-02T09:00:00Z') + s * 1000).toISOString();
      await s3.put(
        'AWSLogs/123456789012/BedrockModelInvocationLogs/us-east-1/2026/03/02/09/a.json.gz',
        gzipSync(jsonLines([converseRecord({ timestamp: at(0) }), converseRecord({ timestamp: at(60) }), '{not json'])),
      );
    });

    afterAll(async () => {
      await s3?.close();
    });

    it("reads the prefix with the caller's credentials and counts the repeat as a cache hit", async () => {
      const out = await tempDir();
      const run = await report(
        ['s3://shop-logs/AWSLogs/', '--s3-endpoint', s3.endpoint, '--region', 'us-east-1', '--out', out, '--quiet'],
        {
          AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
        },
      );
      expect(run.stderr).not.toContain('replaying');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('1 record(s) could not be read: named in the report');
      const figures = await readReport(out);
      expect(figures.total.usdBefore).toBeCloseTo(2 * LITE_120_80, 12);
      expect(figures.total.byLever['cache']?.savedUsd).toBeCloseTo(LITE_120_80, 12);
      expect(figures.problems.named).toEqual([
        {
          file: 's3://shop-logs/AWSLogs/123456789012/BedrockModelInvocationLogs/us-east-1/2026/03/02/09/a.json.gz',
          line: 3,
          reason: expect.stringMatching(/^not JSON/),
        },
      ]);
    });
  });

  describe('having a running gateway', () => {
    let gateway: ChildProcess;
    let url: string;

    beforeAll(async () => {
      gateway = spawn(process.execPath, ['--import', 'tsx', GATEWAY_MAIN], {
        env: { PATH: process.env['PATH'] ?? '', PORT: '0', LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      url = await new Promise<string>((resolve, reject) => {
        let stdout = '';
        gateway.stdout!.on('data', (c: Buffer) => {
          stdout += c.toString();
          const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(stdout);
          if (m) resolve(m[1]!);
        });
        gateway.on('exit', (code) => reject(new Error(`gateway exited with ${code} before listening`)));
      });
      const ask = () =>
        fetch(`${url}/model/amazon.nova-lite-v1:0/converse`, {
          method: 'POST',
          headers: { 'x-api-key': 'demo-key', 'content-type': 'application/json' },
          body: JSON.stringify({
            messages: [{ role: 'user', content: [{ text: 'Hello' }] }],
            inferenceConfig: { temperature: 0, maxTokens: 2000 },
          }),
        });
      for (const expected of ['miss', 'hit']) {
        const res = await ask();
        await res.text();
        expect(res.headers.get('x-nova-cost-cache')).toBe(expected);
      }
    });

    afterAll(async () => {
      if (gateway && gateway.exitCode === null) {
        const exited = new Promise((r) => gateway.once('exit', r));
        gateway.kill('SIGTERM');
        await exited;
      }
    });

    it('renders its GET /costs the same way', async () => {
      const out = await tempDir();
      const run = await report(['--from-gateway', url, '--out', out], { NOVA_COST_API_KEY: 'demo-key' });
      expect(run.code).toBe(0);
      const figures = await readReport(out);
      const costs = (await (await fetch(`${url}/costs`, { headers: { 'x-api-key': 'demo-key' } })).json()) as {
        total: { calls: number; costUsd: number; savedUsd: number };
      };
      expect(figures.kind).toBe('gateway');
      expect(figures.byTenant.map((t) => t.key)).toEqual(['demo']);
      expect(figures.total.calls).toBe(costs.total.calls);
      expect(figures.total.usdAfter).toBeCloseTo(costs.total.costUsd, 9);
      expect(figures.total.savedUsd).toBeCloseTo(costs.total.savedUsd, 9);
      expect(figures.total.byLever['cache']?.calls).toBe(1);
      expect(figures.total.savedUsd).toBeGreaterThan(0);
      expect(await readFile(join(out, 'savings-report.html'), 'utf8')).toContain('Ledger of the gateway at');
    });

    it('says when the API key is refused', async () => {
      const run = await report(['--from-gateway', url, '--api-key', 'wrong-key-123', '--out', await tempDir()]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        new RegExp(`^nova-cost report: the gateway at ${url} answered 40[13] to GET /costs: `),
      );
    });
  });
});
