import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NovaCostError } from '@nova-cost/domain';
import { Redis } from 'ioredis';
import { freePort } from './free-port';
import { trackDir } from './process-cleanup';
import { RedisServerProcess } from './redis-server.process';

const SLOTS = 16384;

/** One master of a {@link TestRedisCluster}, which fault tests can kill, freeze and bring back. */
export interface TestRedisClusterNode {
  readonly host: string;
  readonly port: number;
  /** Kill this master (SIGKILL). */
  stop(): Promise<void>;
  /** Freeze this master (SIGSTOP). */
  pause(): Promise<void>;
  /** Undo {@link pause} (SIGCONT). */
  resume(): Promise<void>;
  /** Start this master again on its port, empty; it keeps its node id and slots (its nodes.conf survives). */
  restart(): Promise<void>;
}

/** A throwaway local Redis Cluster of redis-server processes, masters only. Always `close()` it. */
export interface TestRedisCluster {
  /** Startup nodes for `new Cluster(nodes)`. */
  readonly nodes: readonly { readonly host: string; readonly port: number }[];
  /** The masters, in slot order: master i serves the i-th equal share of the 16384 slots. */
  readonly masters: readonly TestRedisClusterNode[];
  /** Delete every key on every master. */
  flush(): Promise<void>;
  /** Kill every node and remove the temp dir (idempotent). */
  close(): Promise<void>;
}

export interface StartTestRedisClusterOptions {
  /** Number of masters (a cluster needs at least 3). @default 3 */
  readonly masters?: number;
  /** redis-server binary. @default process.env.REDIS_SERVER_BIN ?? 'redis-server' */
  readonly redisServerBinary?: string;
  /** cluster-node-timeout of every node, in ms. @default 2000 */
  readonly nodeTimeoutMs?: number;
  /** How long to wait for cluster_state:ok. @default 15000 */
  readonly readyTimeoutMs?: number;
}

/**
 * Start `masters` redis-server processes with cluster mode on, give each an equal slot range, join them
 * (CLUSTER ADDSLOTSRANGE + MEET) and wait until every node reports cluster_state:ok.
 */
export async function startTestRedisCluster(options: StartTestRedisClusterOptions = {}): Promise<TestRedisCluster> {
  const count = options.masters ?? 3;
  if (!Number.isInteger(count) || count < 3) {
    throw new NovaCostError('validation', `a Redis Cluster needs at least 3 masters, got masters: ${count}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'nova-cost-cluster-'));
  const untrackDir = trackDir(dir);
  const servers: RedisServerProcess[] = [];
  const close = async () => {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
    untrackDir();
  };
  try {
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      servers.push(
        new RedisServerProcess(port, {
          cwd: dir,
          ...(options.redisServerBinary ? { binary: options.redisServerBinary } : {}),
          args: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(dir, `nodes-${port}.conf`),
            '--cluster-node-timeout',
            String(options.nodeTimeoutMs ?? 2000),
          ],
        }),
      );
    }
    await Promise.all(servers.map((s) => s.start()));
    await formCluster(servers, options.readyTimeoutMs ?? 15_000);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    nodes: servers.map((s) => ({ host: s.host, port: s.port })),
    masters: servers.map((s) => ({
      host: s.host,
      port: s.port,
      stop: () => s.stop(),
      pause: () => s.pause(),
      resume: () => s.resume(),
      restart: () => s.restart(),
    })),
    async flush() {
      await Promise.all(servers.filter((s) => s.running).map((s) => withNode(s, (c) => c.flushall())));
    },
    close,
  };
}

async function formCluster(servers: RedisServerProcess[], timeoutMs: number): Promise<void> {
  const share = Math.floor(SLOTS / servers.length);
  await Promise.all(
    servers.map((s, i) => {
      const first = i * share;
      const last = i === servers.length - 1 ? SLOTS - 1 : first + share - 1;
      return withNode(s, (c) => c.call('CLUSTER', 'ADDSLOTSRANGE', first, last));
    }),
  );
  const [head, ...rest] = servers;
  await withNode(head!, async (c) => {
    for (const s of rest) await c.call('CLUSTER', 'MEET', s.host, s.port);
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(
      servers.map((s) => withNode(s, (c) => c.call('CLUSTER', 'INFO') as Promise<string>)),
    );
    if (
      states.every(
        (info) => /cluster_state:ok/.test(info) && new RegExp(`cluster_known_nodes:${servers.length}\\b`).test(info),
      )
    )
      return;
    if (Date.now() > deadline) {
      throw new NovaCostError('timeout', `local Redis Cluster did not reach cluster_state:ok within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function withNode<T>(server: RedisServerProcess, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({
    host: server.host,
    port: server.port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await client.connect();
    return await use(client);
  } finally {
    client.disconnect();
  }
}
