import type { Cluster, ClusterNode, Redis } from 'ioredis';
import type { RedisConnectOptions } from './redis-connection';
import { failOpenCluster, failOpenRedis } from './redis-connection';
import type { ReadOrLock, ResponseStore } from './response-store.port';
import { lockKeyOf } from './response-store.port';

// Delete the lock only if our token still holds it, so a slow holder never frees someone else's lock.
const UNLOCK_SCRIPT =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
// Extend the lock only if our token still holds it.
const REFRESH_SCRIPT =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";

// Take the lock KEYS[n] for ARGV[1] (for ARGV[2] ms): 1 when free or already ARGV[1]'s (a lock attempt whose answer
// the client timed out on may have taken it; its TTL is renewed then), 0 when someone else holds it.
const lockStep = (n: number) =>
  `if redis.call('set', KEYS[${n}], ARGV[1], 'PX', ARGV[2], 'NX') then return 1 end ` +
  `if redis.call('get', KEYS[${n}]) == ARGV[1] then redis.call('pexpire', KEYS[${n}], ARGV[2]) return 1 end return 0`;
const TRY_LOCK_SCRIPT = lockStep(1);
// The entry if stored (a string), else the lock step on KEYS[2].
const READ_OR_LOCK_SCRIPT = `local v = redis.call('get', KEYS[1]) if v then return v end ${lockStep(2)}`;
// Store the entry, then delete the lock if our token still holds it.
const SET_AND_UNLOCK_SCRIPT =
  "redis.call('set', KEYS[1], ARGV[1], 'EX', ARGV[2]) " +
  "if redis.call('get', KEYS[2]) == ARGV[3] then redis.call('del', KEYS[2]) end return 1";

/** The scripts as ioredis commands: sent by EVALSHA, loaded by EVAL once when Redis does not know them. */
interface StoreScripts {
  ncTryLock(key: string, token: string, ttlMs: number): Promise<number>;
  ncReadOrLock(key: string, lockKey: string, token: string, ttlMs: number): Promise<string | number>;
  ncSetAndUnlock(key: string, lockKey: string, value: string, ttlSeconds: number, token: string): Promise<number>;
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
  ) {
    client.defineCommand('ncTryLock', { numberOfKeys: 1, lua: TRY_LOCK_SCRIPT });
    client.defineCommand('ncReadOrLock', { numberOfKeys: 2, lua: READ_OR_LOCK_SCRIPT });
    client.defineCommand('ncSetAndUnlock', { numberOfKeys: 2, lua: SET_AND_UNLOCK_SCRIPT });
  }

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

  /** One script (one key, so on a Cluster too): a lock `token` already holds counts as taken, its TTL renewed. */
  async tryLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    return (await (this.client as unknown as StoreScripts).ncTryLock(key, token, Math.max(1, Math.ceil(ttlMs)))) === 1;
  }

  async refreshLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.client.eval(REFRESH_SCRIPT, 1, key, token, Math.max(1, Math.ceil(ttlMs)))) === 1;
  }

  async unlock(key: string, token: string): Promise<void> {
    await this.client.eval(UNLOCK_SCRIPT, 1, key, token);
  }

  /**
   * One script, on a single node and on a Cluster when the lock is in the entry's slot (lockKeyOf). Otherwise (a
   * Cluster, the lock in another slot: a script must not touch two), the lock first, then the read: read first, a
   * holder could store its answer and free its lock between the two, and this caller would take the freed lock and
   * call upstream a second time. Locked first, an answer stored before the lock is taken is always seen by the read
   * (its holder stores, then unlocks), and the lock, not needed then, is freed.
   */
  async readOrLock(key: string, lockKey: string, token: string, ttlMs: number): Promise<ReadOrLock> {
    if (!this.oneStep(key, lockKey)) {
      const locked = await this.tryLock(lockKey, token, ttlMs);
      const value = await this.get(key);
      if (value === undefined) return { locked };
      // Not needed: the answer is here. A failed release only leaves the lock to its TTL.
      if (locked) await this.unlock(lockKey, token).catch(() => undefined);
      return { value };
    }
    const found = await (this.client as unknown as StoreScripts).ncReadOrLock(
      key,
      lockKey,
      token,
      Math.max(1, Math.ceil(ttlMs)),
    );
    return typeof found === 'string' ? { value: found } : { locked: found === 1 };
  }

  /** One script where readOrLock is one; else the write, then the release (see readOrLock). */
  async setAndUnlock(key: string, value: string, ttlSeconds: number, lockKey: string, token: string): Promise<void> {
    if (!this.oneStep(key, lockKey)) {
      await this.set(key, value, ttlSeconds);
      await this.unlock(lockKey, token);
      return;
    }
    await (this.client as unknown as StoreScripts).ncSetAndUnlock(
      key,
      lockKey,
      value,
      Math.max(1, Math.ceil(ttlSeconds)),
      token,
    );
  }

  /** Whether one script may touch both keys: always on a single node; on a Cluster, a lock in the entry's slot. */
  private oneStep(key: string, lockKey: string): boolean {
    return !this.client.isCluster || (lockKey === lockKeyOf(key) && !/[{}]/.test(key));
  }

  async close(): Promise<void> {
    if (!this.owned) return;
    this.client.disconnect();
  }
}
