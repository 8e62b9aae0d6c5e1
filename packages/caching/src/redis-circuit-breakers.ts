import type { Cluster, ClusterNode, Redis } from 'ioredis';
import type { CircuitBreakers, CircuitSettings, CircuitVerdict } from '@nova-cost/domain';
import { NovaCostError, resolveCircuitSettings } from '@nova-cost/domain';
import type { CircuitBreakerOptions } from './circuit-breaker';
import type { RedisConnectOptions } from './redis-connection';
import { failOpenCluster, failOpenRedis } from './redis-connection';
import { StoreGuard } from './store-guard';

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

/** The scripts as ioredis commands: sent by EVALSHA, loaded by EVAL once when Redis does not know them. */
interface BreakerScripts {
  ncCircuitCheck(key: string, nowMs: string, openMs: string): Promise<number>;
  ncCircuitFailed(key: string, nowMs: string, threshold: string, openMs: string, windowMs: string): Promise<number>;
}

export interface RedisCircuitBreakersOptions {
  /** Whether close() disconnects the client (true for the ones fromUrl/fromCluster make). @default false */
  readonly owned?: boolean;
  /** Of every key. @default 'nc:cb' */
  readonly prefix?: string;
  /**
   * Budget of each Redis call, not counting time the event loop was too busy to read the answer: a check that has no
   * answer by then says 'closed' (fail open), so a stalled Redis costs a call this much per target, not the client's
   * command timeout. @default 50
   */
  readonly timeoutMs?: number;
  /** Stops calling a Redis that keeps failing or stalling (checks then say 'closed' at once). @default { failureThreshold: 5, openMs: 1000 } */
  readonly breaker?: CircuitBreakerOptions;
  /** Told of each Redis call that failed, ran past `timeoutMs` or was refused by the open breaker (each answered as if every circuit were closed). @default ignore */
  readonly onError?: () => void;
}

/**
 * Circuit breakers of Bedrock call targets in Redis (single node or Cluster), shared by the fleet: what one gateway
 * task learnt of a target failing, the others skip too, and one probe in the whole fleet tests an open circuit. One
 * script per check and per failure; a success writes only when the check found failures. Every Redis call runs under
 * a StoreGuard (budget and breaker of its own), as the response store's do: a Redis that fails or stalls makes every
 * circuit read 'closed' and its updates be dropped, never a call wait.
 */
export class RedisCircuitBreakers implements CircuitBreakers {
  private readonly settings: Required<CircuitSettings>;
  private readonly guard: StoreGuard;
  private readonly prefix: string;

  /**
   * @param client a connected or connecting ioredis client; left open by close() unless `options.owned`.
   * @param settings @default DEFAULT_CIRCUIT_SETTINGS
   */
  constructor(
    private readonly client: Redis | Cluster,
    settings: CircuitSettings = {},
    private readonly options: RedisCircuitBreakersOptions = {},
  ) {
    this.settings = checked(settings);
    const timeoutMs = options.timeoutMs ?? 50;
    if (!(Number.isFinite(timeoutMs) && timeoutMs > 0))
      throw new NovaCostError('configuration', `circuit breakers: timeoutMs must be a number > 0, got ${timeoutMs}`);
    this.prefix = options.prefix ?? 'nc:cb';
    this.guard = new StoreGuard(timeoutMs, options.breaker, options.onError ?? (() => undefined));
    client.defineCommand('ncCircuitCheck', { numberOfKeys: 1, lua: CHECK_SCRIPT });
    client.defineCommand('ncCircuitFailed', { numberOfKeys: 1, lua: FAILED_SCRIPT });
  }

  /** Breakers on their own fail-open connection to `url` (redis:// or rediss://). */
  static fromUrl(
    url: string,
    settings: CircuitSettings = {},
    options: RedisConnectOptions = {},
    guard: Omit<RedisCircuitBreakersOptions, 'owned' | 'prefix'> = {},
  ): RedisCircuitBreakers {
    checked(settings); // before connecting: bad settings leave no connection behind
    return new RedisCircuitBreakers(failOpenRedis(url, options), settings, { ...guard, owned: true });
  }

  /** Breakers on their own fail-open Redis Cluster client. */
  static fromCluster(
    nodes: readonly ClusterNode[],
    settings: CircuitSettings = {},
    options: RedisConnectOptions = {},
    guard: Omit<RedisCircuitBreakersOptions, 'owned' | 'prefix'> = {},
  ): RedisCircuitBreakers {
    checked(settings);
    return new RedisCircuitBreakers(failOpenCluster(nodes, options), settings, { ...guard, owned: true });
  }

  /** The state of the breaker around Redis. */
  get storeCircuit(): 'closed' | 'open' | 'half-open' {
    return this.guard.breaker.state;
  }

  async check(target: string, nowMs: number): Promise<CircuitVerdict> {
    const { openMs } = this.settings;
    const n = await this.guard.run(() => this.scripts.ncCircuitCheck(this.key(target), String(nowMs), String(openMs)));
    return VERDICTS[n ?? 0] ?? 'closed';
  }

  async succeeded(target: string): Promise<void> {
    await this.guard.run(() => this.client.del(this.key(target)));
  }

  async released(target: string): Promise<void> {
    await this.guard.run(() => this.client.hdel(this.key(target), 'p'));
  }

  async failed(target: string, nowMs: number): Promise<void> {
    const { failureThreshold, openMs, windowMs } = this.settings;
    await this.guard.run(() =>
      this.scripts.ncCircuitFailed(
        this.key(target),
        String(nowMs),
        String(failureThreshold),
        String(openMs),
        String(windowMs),
      ),
    );
  }

  async close(): Promise<void> {
    if (this.options.owned) this.client.disconnect();
  }

  private get scripts(): BreakerScripts {
    return this.client as unknown as BreakerScripts;
  }

  private key(target: string): string {
    return `${this.prefix}:${encodeURIComponent(target)}`;
  }
}
