import type { ClusterNode, ClusterOptions, RedisOptions } from 'ioredis';
import { Cluster, Redis } from 'ioredis';
import { NovaCostError } from '@nova-cost/domain';

export interface RedisConnectOptions {
  /**
   * ioredis commandTimeout: a command without an answer after this rejects. Only a backstop that frees the commands
   * of a stalled Redis: callers judge latency themselves (CachingInvoker storeTimeoutMs, RedisSpendLedger timeoutMs),
   * without counting time the event loop was too busy to read an answer, which this timer cannot tell. @default 1000
   */
  readonly commandTimeoutMs?: number;
  /** Time allowed to open a connection. @default 1000 */
  readonly connectTimeoutMs?: number;
  /** AUTH password (an ElastiCache auth token), for every node of a Cluster too. @default none, or the URL's */
  readonly password?: string;
}

/**
 * Client options for a cache that must fail open: connect in the background (start-up never waits or fails),
 * never queue commands while disconnected (they reject at once), never retry a command, keep reconnecting.
 */
export function failOpenRedisOptions(options: RedisConnectOptions = {}): RedisOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    connectTimeout: options.connectTimeoutMs ?? 1000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    ...(options.password === undefined ? {} : { password: options.password }),
  };
}

/**
 * A client on its own fail-open connection to `url` (redis:// or rediss://): it connects and reconnects in the
 * background, and a command it cannot send fails at once. Start-up never waits for Redis.
 */
export function failOpenRedis(url: string, options: RedisConnectOptions = {}): Redis {
  if (!/^rediss?:\/\//.test(url))
    throw new NovaCostError('configuration', `Redis URL must be redis:// or rediss://, got ${url.split('//')[0]}//…`);
  return connectInBackground(new Redis(url, failOpenRedisOptions(options)));
}

/** A fail-open Redis Cluster client from its startup nodes, as failOpenRedis. */
export function failOpenCluster(nodes: readonly ClusterNode[], options: RedisConnectOptions = {}): Cluster {
  if (nodes.length === 0)
    throw new NovaCostError('configuration', 'a Redis Cluster client needs at least one startup node, got none');
  const { lazyConnect, enableOfflineQueue, ...redisOptions } = failOpenRedisOptions(options);
  const clusterOptions: ClusterOptions = {
    lazyConnect,
    enableOfflineQueue,
    redisOptions,
    clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  };
  return connectInBackground(new Cluster([...nodes], clusterOptions));
}

function connectInBackground<T extends Redis | Cluster>(client: T): T {
  client.on('error', () => undefined); // failures surface per command, where callers count them
  client.connect().catch(() => undefined); // keeps retrying in the background via the retry strategy
  return client;
}
