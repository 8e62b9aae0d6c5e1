import type { Cluster, ClusterNode, Redis } from 'ioredis';
import type { CircuitBreakers, CircuitSettings, CircuitVerdict } from '@nova-cost/domain';
import { NovaCostError, resolveCircuitSettings } from '@nova-cost/domain';
import type { RedisConnectOptions } from './redis-connection';
import { failOpenCluster, failOpenRedis } from './redis-connection';

/**
 * A target's circuit is one hash: f (failures in a row), o (open until, ms), p (probe lease until, ms); the key
 * expires once nothing in it matters any more, which closes the circuit. ARGV: now, open ms.
 * Returns 0 closed, 1 failing, 2 probe (this caller holds the lease), 3 open.
 */
const CHECK_SCRIPT = `
local v = redis.call('hmget', KEYS[1], 'f', 'o', 'p')
local now, openMs = tonumber(ARGV[1]), tonumber(ARGV[2])
local o, p = tonumber(v[2]), tonumber(v[3])
if not o then
  if (tonumber(v[1]) or 0) > 0 then return 1 end
  return 0
end
if now < o or (p and now < p) then return 3 end
redis.call('hset', KEYS[1], 'p', now + openMs)
redis.call('pexpire', KEYS[1], 2 * openMs)
return 2`;

/** One failure. ARGV: now, threshold, open ms, window ms. An open (or probed) circuit opens again. */
const FAILED_SCRIPT = `
local now, threshold, openMs, windowMs = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local f = redis.call('hincrby', KEYS[1], 'f', 1)
if redis.call('hexists', KEYS[1], 'o') == 1 or f >= threshold then
  redis.call('hset', KEYS[1], 'o', now + openMs)
  redis.call('hdel', KEYS[1], 'p')
  redis.call('pexpire', KEYS[1], 2 * openMs)
else
  redis.call('pexpire', KEYS[1], windowMs)
end
return f`;

function checked(settings: CircuitSettings): Required<CircuitSettings> {
  return resolveCircuitSettings(settings, (m) => new NovaCostError('configuration', `circuit breakers: ${m}`));
}

const VERDICTS: readonly CircuitVerdict[] = ['closed', 'failing', 'probe', 'open'];

/**
 * Circuit breakers of Bedrock call targets in Redis (single node or Cluster), shared by the fleet: what one gateway
 * task learnt of a target failing, the others skip too, and one probe in the whole fleet tests an open circuit. One
 * script per check and per failure; a success writes only when the check found failures.
 */
export class RedisCircuitBreakers implements CircuitBreakers {
  private readonly settings: Required<CircuitSettings>;

  /**
   * @param client a connected or connecting ioredis client; left open by close() unless `owned`.
   * @param settings @default DEFAULT_CIRCUIT_SETTINGS
   * @param prefix of every key. @default 'nc:cb'
   */
  constructor(
    private readonly client: Redis | Cluster,
    settings: CircuitSettings = {},
    private readonly owned = false,
    private readonly prefix = 'nc:cb',
  ) {
    this.settings = checked(settings);
  }

  /** Breakers on their own fail-open connection to `url` (redis:// or rediss://). */
  static fromUrl(url: string, settings: CircuitSettings = {}, options: RedisConnectOptions = {}): RedisCircuitBreakers {
    checked(settings); // before connecting: bad settings leave no connection behind
    return new RedisCircuitBreakers(failOpenRedis(url, options), settings, true);
  }

  /** Breakers on their own fail-open Redis Cluster client. */
  static fromCluster(
    nodes: readonly ClusterNode[],
    settings: CircuitSettings = {},
    options: RedisConnectOptions = {},
  ): RedisCircuitBreakers {
    checked(settings);
    return new RedisCircuitBreakers(failOpenCluster(nodes, options), settings, true);
  }

  async check(target: string, nowMs: number): Promise<CircuitVerdict> {
    const n = (await this.client.eval(
      CHECK_SCRIPT,
      1,
      this.key(target),
      String(nowMs),
      String(this.settings.openMs),
    )) as number;
    return VERDICTS[n] ?? 'closed';
  }

  async succeeded(target: string): Promise<void> {
    await this.client.del(this.key(target));
  }

  async failed(target: string, nowMs: number): Promise<void> {
    const { failureThreshold, openMs, windowMs } = this.settings;
    await this.client.eval(
      FAILED_SCRIPT,
      1,
      this.key(target),
      String(nowMs),
      String(failureThreshold),
      String(openMs),
      String(windowMs),
    );
  }

  async close(): Promise<void> {
    if (this.owned) this.client.disconnect();
  }

  private key(target: string): string {
    return `${this.prefix}:${encodeURIComponent(target)}`;
  }
}
