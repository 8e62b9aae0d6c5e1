import type { Cluster, ClusterNode, Redis } from 'ioredis';
import type { RedisConnectOptions } from './redis-connection';
import { failOpenCluster, failOpenRedis } from './redis-connection';
import type { ResponseStore } from './response-store.port';

// Delete the lock only if our token still holds it, so a slow holder never frees someone else's lock.
const UNLOCK_SCRIPT =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
// Extend the lock only if our token still holds it.
const REFRESH_SCRIPT =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";

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
    return new RedisResponseStore(failOpenRedis(url, options), true);
  }

  /** A store on its own fail-open Redis Cluster client. Does not wait for the cluster. */
  static fromCluster(nodes: readonly ClusterNode[], options: RedisConnectOptions = {}): RedisResponseStore {
    return new RedisResponseStore(failOpenCluster(nodes, options), true);
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
