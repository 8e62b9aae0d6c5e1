import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Template } from 'aws-cdk-lib/assertions';
import { startLocalBedrock, type LocalBedrock } from '@nova-cost/bedrock-local';
import { freePort, startTestRedis, type TestRedis } from '@nova-cost/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app';
import { CONTEXT_EXCLUDES, REPO_ROOT } from './gateway-image';

const DOCKER_DIR = path.join(REPO_ROOT, 'apps/infra/docker');
const TENANTS_DOCUMENT = JSON.stringify({ tenants: [{ id: 'acme', apiKeys: ['acme-key-0123456789'] }], policy: {} });

/** The container of the synthesized task definition: its plain environment (literals only) and health check. */
function taskContainer(): { env: Record<string, string>; healthCheck: string[]; secrets: string[]; dashboard: string } {
  const { app, stack } = buildApp({ env: { region: 'ap-northeast-1' }, alertEmails: ['a@example.com'] });
  app.synth();
  const template = Template.fromStack(stack);
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const [taskDefinition] = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
  const container = taskDefinition!.Properties.ContainerDefinitions[0];
  const env = Object.fromEntries(
    (container.Environment as Array<{ Name: string; Value: unknown }>)
      .filter((e) => typeof e.Value === 'string')
      .map((e) => [e.Name, e.Value as string]),
  );
  return {
    env,
    healthCheck: container.HealthCheck.Command,
    secrets: container.Secrets.map((s: { Name: string }) => s.Name),
    // The body is a JSON string inside a Fn::Join; drop the escaping to search it.
    dashboard: JSON.stringify(dashboard!.Properties.DashboardBody).replace(/\\/g, ''),
  };
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function waitForHealthz(url: string, child: ChildProcess, output: () => string): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    if (child.exitCode !== null) throw new Error(`the bundled gateway exited with ${child.exitCode}:\n${output()}`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the bundled gateway never answered /healthz:\n${output()}`);
}

describe('the gateway image', () => {
  it('leaves out of a hand-run docker build what the CDK asset leaves out', () => {
    const ignored = fs
      .readFileSync(path.join(DOCKER_DIR, 'gateway.Dockerfile.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect(ignored).toEqual(CONTEXT_EXCLUDES);
  });

  it('builds and runs on one pinned minor of Node.js 24, the LTS production runs', () => {
    const dockerfile = fs.readFileSync(path.join(DOCKER_DIR, 'gateway.Dockerfile'), 'utf8');
    // .ci/with-production-node reads this line to test on the same minor.
    expect(dockerfile).toMatch(/^ARG NODE_VERSION=24\.\d+$/m);
    const stages = dockerfile.match(/^FROM .*$/gm);
    expect(stages).toEqual([
      'FROM public.ecr.aws/docker/library/node:${NODE_VERSION}-slim AS build',
      'FROM public.ecr.aws/docker/library/node:${NODE_VERSION}-slim',
    ]);
  });

  it('builds with the bundle script and runs the bundle with plain node, no npm or tsx', () => {
    const dockerfile = fs.readFileSync(path.join(DOCKER_DIR, 'gateway.Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^RUN node apps\/infra\/docker\/bundle-gateway\.mjs \/out\/gateway\.mjs$/m);
    expect(dockerfile).toMatch(/^COPY --from=build \/out\/gateway\.mjs \/out\/body-analysis\.worker\.mjs \.\/$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "gateway\.mjs"\]$/m);
  });

  describe('having the bundle started outside the repository with the task definition environment', () => {
    let workDir: string;
    let redis: TestRedis;
    let bedrock: LocalBedrock;
    let credentials: Server;
    let credentialRequests = 0;
    let gateway: ChildProcess;
    let output = '';
    let url: string;
    let container: ReturnType<typeof taskContainer>;

    beforeAll(async () => {
      // A directory with no node_modules above it: any import the bundle left out fails here, as in the image.
      workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-image-'));
      await promisify(execFile)(
        process.execPath,
        [path.join(DOCKER_DIR, 'bundle-gateway.mjs'), path.join(workDir, 'gateway.mjs')],
        {
          cwd: REPO_ROOT,
        },
      );
      container = taskContainer();
      [redis, bedrock] = await Promise.all([startTestRedis(), startLocalBedrock()]);
      // The ECS agent's credential endpoint, as the SDK's container provider reads it in a task.
      credentials = createServer((_req, res) => {
        credentialRequests += 1;
        res.writeHead(200, { 'content-type': 'application/json' });
        const expiration = new Date(Date.now() + 3_600_000).toISOString();
        res.end(
          JSON.stringify({
            AccessKeyId: 'ASIATASKROLE',
            SecretAccessKey: 'task-secret',
            Token: 'task-token',
            Expiration: expiration,
          }),
        );
      });
      await new Promise<void>((resolve) => credentials.listen(0, '127.0.0.1', resolve));
      const credentialsPort = (credentials.address() as { port: number }).port;
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      gateway = spawn(process.execPath, ['gateway.mjs'], {
        cwd: workDir,
        env: {
          PATH: process.env.PATH,
          ...container.env,
          PORT: String(port),
          // CloudFormation resolves REDIS_URL to the ElastiCache TLS endpoint; here a real local Redis stands in.
          REDIS_URL: redis.url,
          // Real Bedrock would need an AWS account: the local endpoint speaks the same wire protocol.
          BEDROCK_ENDPOINT: bedrock.url,
          NOVA_COST_CONFIG_JSON: TENANTS_DOCUMENT,
          AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${credentialsPort}/v2/credentials`,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      gateway.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      gateway.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      await waitForHealthz(url, gateway, () => output);
    });

    afterAll(async () => {
      if (gateway && gateway.exitCode === null) {
        gateway.kill('SIGKILL');
        await exited(gateway);
      }
      await Promise.all([
        redis?.close(),
        bedrock?.close(),
        new Promise((r) => (credentials ? credentials.close(r) : r(undefined))),
      ]);
      if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
    });

    it('passes the container health check of the task definition', async () => {
      const [kind, command] = container.healthCheck;
      expect(kind).toBe('CMD-SHELL');
      const probe = command!.replace(':8080/', `:${new URL(url).port}/`);
      const code = await exited(
        spawn('/bin/sh', ['-c', probe], { env: { PATH: path.dirname(process.execPath) }, stdio: 'ignore' }),
      );
      expect(code).toBe(0);
      expect(output).toMatch(/"tenants":1,"cache":"single","bedrock":"aws"/);
    });

    it('serves a tenant through the bundled SDK, signing with the task role credentials ECS hands out', async () => {
      const response = await fetch(`${url}/model/amazon.nova-micro-v1:0/converse`, {
        method: 'POST',
        headers: { 'x-api-key': 'acme-key-0123456789', 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hello from the image spec' }] }] }),
      });
      expect(response.status, await response.clone().text()).toBe(200);
      expect(((await response.json()) as { output: { message: { role: string } } }).output.message.role).toBe(
        'assistant',
      );
      expect(credentialRequests).toBeGreaterThan(0);
    });

    it('walks a large body on the thread the bundle ships beside it', async () => {
      const text = 'a large prompt, walked off the event loop. '.repeat(8_000); // about 340 KB, above 256 KiB
      const response = await fetch(`${url}/model/amazon.nova-micro-v1:0/converse`, {
        method: 'POST',
        headers: { 'x-api-key': 'acme-key-0123456789', 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: [{ text }] }] }),
      });
      expect(response.status, await response.clone().text()).toBe(200);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/^nova_cost_bodies_parsed_off_thread_total 1$/m);
    });

    it('runs on the Node.js that started it: the production one under .ci/with-production-node', async () => {
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain(`nodejs_version_info{version="${process.version}"`);
      const production = process.env['NOVA_COST_PRODUCTION_NODE'];
      if (production !== undefined) expect(process.version).toBe(production);
    });

    it('drains and exits 0 on SIGTERM, as ECS stops a task', async () => {
      gateway.kill('SIGTERM');
      expect(await exited(gateway)).toBe(0);
    });

    // The SDK warns at client construction on Node.js below 22 (its floor from January 2027). On Node 20 the notice
    // must show, so this check sees it and nothing in the task environment hides it; on the production Node it must not.
    it(`prints the AWS SDK's Node-version notice only on Node.js below 22 (here ${process.version})`, () => {
      const major = Number(process.versions.node.split('.')[0]);
      expect(output.includes('NodeVersionSupportWarning'), output.slice(0, 2000)).toBe(major < 22);
    });

    it('emits its metrics (summed, flushed at the latest on shutdown) under the namespace, dimension and service the dashboard charts', () => {
      const emf = output
        .split('\n')
        .filter((line) => line.includes('"_aws"'))
        .map(
          (line) =>
            JSON.parse(line) as {
              _aws: {
                CloudWatchMetrics: Array<{
                  Namespace: string;
                  Dimensions: string[][];
                  Metrics: Array<{ Name: string }>;
                }>;
              };
              [k: string]: unknown;
            },
        );
      const names = new Set<string>();
      for (const line of emf) {
        for (const directive of line._aws.CloudWatchMetrics) {
          for (const metric of directive.Metrics) {
            const dimensions = directive.Dimensions.flat().flatMap((d) => [d, String(line[d])]);
            const needle = JSON.stringify([directive.Namespace, metric.Name, ...dimensions]).slice(1, -1);
            expect(container.dashboard, `dashboard charts ${needle}`).toContain(needle);
            names.add(metric.Name);
          }
        }
      }
      expect([...names].sort()).toEqual(expect.arrayContaining(['CostUsd', 'SavedUsd']));
    });
  });
});
