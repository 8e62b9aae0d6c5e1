import type { ClusterNode, ClusterOptions, RedisOptions } from 'ioredis';
import { Cluster, Redis } from 'ioredis';
import { NovaCostError } from '@nova-cost/domain';
import type { ResponseStore } from './response-store.port';

// Delete the lock only if our token still holds it, so a slow holder never frees someone else's lock.
const UNLOCK_SCRIPT = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
// Extend the lock only if our token still holds it.
const REFRESH_SCRIPT = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";

export interface RedisConnectOptions {
  /** ioredis commandTimeout: a command without an answer after this rejects. @default 50 */
  readonly commandTimeoutMs?: number;
  /** Time allowed to open a connection. @default 1000 */
  readonly connectTimeoutMs?: number;
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
    commandTimeout: options.commandTimeoutMs ?? 50,
    connectTimeout: options.connectTimeoutMs ?? 1000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  };
}

/** Cached responses in Redis (single node or Cluster), through ioredis. */
export class RedisResponseStore implements ResponseStore {
  /**
   * @param client a connected or connecting ioredis client; left open by close() unless `owned`.
   * @param owned whether close() should quit the client (true for the ones made by fromUrl/fromCluster).
   */
  constructor(
    private readonly client: Redis | Cluster,
    private readonly owned = false,
  ) {}

  /** A store on its own fail-open connection to `url` (redis:// or rediss://). Does not wait for the connection. */
  static fromUrl(url: string, options: RedisConnectOptions = {}): RedisResponseStore {
    if (!/^rediss?:\/\//.test(url)) throw new NovaCostError('configuration', `Redis URL must be redis:// or rediss://, got ${url.split('//')[0]}//…`);
    return RedisResponseStore.owning(new Redis(url, failOpenRedisOptions(options)));
  }

  /** A store on its own fail-open Redis Cluster client. Does not wait for the cluster. */
  static fromCluster(nodes: readonly ClusterNode[], options: RedisConnectOptions = {}): RedisResponseStore {
    if (nodes.length === 0) throw new NovaCostError('configuration', 'a Redis Cluster store needs at least one startup node, got none');
    const { lazyConnect, enableOfflineQueue, ...redisOptions } = failOpenRedisOptions(options);
    const clusterOptions: ClusterOptions = {
      lazyConnect,
      enableOfflineQueue,
      redisOptions,
      clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    };
    return RedisResponseStore.owning(new Cluster([...nodes], clusterOptions));
  }

  private static owning(client: Redis | Cluster): RedisResponseStore {
    client.on('error', () => undefined); // failures surface per command; the invoker counts them
    client.connect().catch(() => undefined); // keeps retrying in the background via retryStrategy
    return new RedisResponseStore(client, true);
  }

  get(key: string): Promise<string | undefined> {
    return this.client.get(key).then((value) => value ?? undefined);
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.client.set(key, value, 'EX', Math.max(1, Math.ceil(ttlSeconds)));
  }

  async tryLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.client.set(key, token, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK';
  }

  async refreshLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.client.eval(REFRESH_SCRIPT, 1, key, token, Math.max(1, Math.ceil(ttlMs)))) === 1;
  }

  async unlock(key: string, token: string): Promise<void> {
    await this.client.eval(UNLOCK_SCRIPT, 1, key, token);
  }

  async close(): Promise<void> {
    if (!this.owned) return;
    this.client.disconnect();
  }
}
