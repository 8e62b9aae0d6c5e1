import { NovaCostError } from '@nova-cost/domain';
import { startContainerTestRedis } from './container-test-redis';
import { ExternalTestRedis } from './external-test-redis';
import { freePort } from './free-port';
import { HOW_TO_GET_REDIS, RedisServerProcess } from './redis-server.process';
import { ProcessTestRedis } from './process-test-redis';

/** A Redis for one test suite. Obtain with {@link startTestRedis}; always `close()` it (afterAll). */
export interface TestRedis {
  /** `redis://host:port` (with the db, for an external server). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** external: REDIS_URL; process: a redis-server child; container: a testcontainers container. */
  readonly kind: 'external' | 'process' | 'container';
  /** Whether stop/pause/resume/restart are possible (false for external: they throw). */
  readonly controllable: boolean;
  /** Kill the server (like a crash). Clients then get connection errors. */
  stop(): Promise<void>;
  /** Freeze the server (SIGSTOP / docker pause): connections stay open, commands get no answer. */
  pause(): Promise<void>;
  /** Undo {@link pause} (SIGCONT / docker unpause). */
  resume(): Promise<void>;
  /** Start again on the same host and port, empty. Works after stop() or while running. */
  restart(): Promise<void>;
  /** Delete every key (FLUSHALL; FLUSHDB of the URL's db for an external server). */
  flush(): Promise<void>;
  /** Stop the server and free everything (idempotent). An external server is left running, unflushed. */
  close(): Promise<void>;
}

export interface StartTestRedisOptions {
  /** Ignore REDIS_URL and always start a server this suite owns, so stop/pause/restart work. @default false */
  readonly controllable?: boolean;
  /** redis-server binary for the process mode. @default process.env.REDIS_SERVER_BIN ?? 'redis-server' */
  readonly redisServerBinary?: string;
  /** Try a testcontainers container when no redis-server can be started. @default true */
  readonly allowContainer?: boolean;
  /** Image for the container mode. @default 'redis:7-alpine' */
  readonly image?: string;
  /** Environment to read REDIS_URL from. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * A Redis for a test suite: REDIS_URL if set (unless `controllable`), otherwise a `redis-server` child process
 * on a free port, otherwise a testcontainers container where a Docker engine answers. Otherwise rejects with
 * a NovaCostError of kind 'configuration' that says how to get one.
 */
export async function startTestRedis(options: StartTestRedisOptions = {}): Promise<TestRedis> {
  const url = (options.env ?? process.env)['REDIS_URL'];
  if (url && !options.controllable) return ExternalTestRedis.fromUrl(url);

  const server = new RedisServerProcess(
    await freePort(),
    options.redisServerBinary ? { binary: options.redisServerBinary } : {},
  );
  let processFailure: unknown;
  try {
    await server.start();
    return new ProcessTestRedis(server);
  } catch (err) {
    processFailure = err;
  }
  let containerFailure: unknown = 'not tried (allowContainer: false)';
  if (options.allowContainer ?? true) {
    try {
      return await startContainerTestRedis(options.image ?? 'redis:7-alpine');
    } catch (err) {
      containerFailure = err;
    }
  }
  throw new NovaCostError(
    'configuration',
    `no Redis for tests: REDIS_URL is ${url ? 'ignored (controllable: true)' : 'not set'}; redis-server failed (${describe(processFailure)}); ` +
      `container failed (${describe(containerFailure)}). To get one: ${HOW_TO_GET_REDIS}`,
    { cause: processFailure },
  );
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message.split('. To get one:')[0]! : String(err);
}
