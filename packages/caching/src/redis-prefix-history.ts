import type { Cluster, ClusterNode, Redis } from 'ioredis';
import type {
  PrefixHistory,
  PrefixKind,
  PrefixObservation,
  PrefixRecord,
  PrefixSighting,
  RecurrenceStats,
} from '@nova-cost/domain';
import { RECURRENCE_DECAY } from '@nova-cost/domain';
import type { RedisConnectOptions } from './redis-connection';
import { failOpenCluster, failOpenRedis } from './redis-connection';

const KINDS: readonly PrefixKind[] = ['tools', 'system', 'history'];
/** A prefix not seen for this long can no longer recur within any TTL: its record goes. */
const RECORD_MS = 2 * 60 * 60_000;
/** A tenant's recurrence stats outlive a quiet week. */
const STATS_SECONDS = 7 * 24 * 3600;

/**
 * One request's sightings, atomically: the domain's recordSightings in Lua. KEYS: the stats hashes of tools, system and
 * history, then one record key per sighting. ARGV: now, decay, record ms, stats seconds, then kind index (1-3),
 * occurrence (0/1) and recurrence (0/1) per sighting. A record is "lastSeen|cachedUntil|ttl". Returns the records as
 * they were, then o, r5, r1h of each kind after the sightings (numbers as strings).
 */
const OBSERVE_SCRIPT = `
local now, decay, recordMs, statsSeconds = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4]
local stats = {}
for k = 1, 3 do
  local v = redis.call('hmget', KEYS[k], 'o', 'r5', 'r1h')
  stats[k] = { tonumber(v[1]) or 0, tonumber(v[2]) or 0, tonumber(v[3]) or 0 }
end
local out = {}
local n = #KEYS - 3
for i = 1, n do out[i] = redis.call('get', KEYS[3 + i]) or '||' end
local keep = 1 - decay
for i = 1, n do
  if ARGV[3 + i * 3] == '1' then
    local s = stats[tonumber(ARGV[2 + i * 3])]
    s[1] = s[1] * keep + 1
    s[2] = s[2] * keep
    s[3] = s[3] * keep
  end
end
for i = 1, n do
  local s = stats[tonumber(ARGV[2 + i * 3])]
  local lastSeen = tonumber(string.match(out[i], '^([^|]*)|'))
  if ARGV[4 + i * 3] == '1' and lastSeen then
    local gap = now - lastSeen
    if gap <= 300000 then s[2] = s[2] + 1 end
    if gap <= 3600000 then s[3] = s[3] + 1 end
  end
end
for i = 1, n do
  local rest = string.match(out[i], '^[^|]*(|.*)$') or '||'
  redis.call('set', KEYS[3 + i], ARGV[1] .. rest, 'PX', recordMs)
end
for k = 1, 3 do
  local s = stats[k]
  s[2] = math.min(s[2], s[1])
  s[3] = math.min(s[3], s[1])
  redis.call('hset', KEYS[k], 'o', tostring(s[1]), 'r5', tostring(s[2]), 'r1h', tostring(s[3]))
  redis.call('expire', KEYS[k], statsSeconds)
  out[n + k] = tostring(s[1]) .. '|' .. tostring(s[2]) .. '|' .. tostring(s[3])
end
return out`;

/** Marks prefixes cached. KEYS: record keys. ARGV: record ms, then until and ttl per key. */
const PLACED_SCRIPT = `
for i = 1, #KEYS do
  local record = redis.call('get', KEYS[i]) or ''
  local lastSeen = string.match(record, '^([^|]*)|') or ''
  redis.call('set', KEYS[i], lastSeen .. '|' .. ARGV[i * 2] .. '|' .. ARGV[i * 2 + 1], 'PX', ARGV[1])
end
return #KEYS`;

const enc = (s: string): string => encodeURIComponent(s);

function parseRecord(raw: string): PrefixRecord {
  const [lastSeen, until, ttl] = raw.split('|');
  return {
    ...(lastSeen ? { lastSeenMs: Number(lastSeen) } : {}),
    ...(until ? { cachedUntilMs: Number(until) } : {}),
    ...(ttl === '5m' || ttl === '1h' ? { cachedTtl: ttl } : {}),
  };
}

function parseStats(raw: string): RecurrenceStats {
  const [o, r5, r1h] = raw.split('|').map(Number);
  return { occurrences: o ?? 0, within5m: r5 ?? 0, within1h: r1h ?? 0 };
}

/**
 * The payoff guard's prefix history in Redis (single node or Cluster), shared by the fleet: one script a request
 * (every key under the tenant's hash tag), records kept two hours after the last sighting, stats a week.
 */
export class RedisPrefixHistory implements PrefixHistory {
  /**
   * @param client a connected or connecting ioredis client; left open by close() unless `owned`.
   * @param prefix of every key. @default 'nc:pfx'
   */
  constructor(
    private readonly client: Redis | Cluster,
    private readonly owned = false,
    private readonly prefix = 'nc:pfx',
  ) {}

  /** A history on its own fail-open connection to `url` (redis:// or rediss://). */
  static fromUrl(url: string, options: RedisConnectOptions = {}): RedisPrefixHistory {
    return new RedisPrefixHistory(failOpenRedis(url, options), true);
  }

  /** A history on its own fail-open Redis Cluster client. */
  static fromCluster(nodes: readonly ClusterNode[], options: RedisConnectOptions = {}): RedisPrefixHistory {
    return new RedisPrefixHistory(failOpenCluster(nodes, options), true);
  }

  async observe(tenantId: string, sightings: readonly PrefixSighting[], nowMs: number): Promise<PrefixObservation> {
    const tenant = `${this.prefix}:{${enc(tenantId)}}`;
    const keys = [...KINDS.map((k) => `${tenant}:k:${k}`), ...sightings.map((s) => `${tenant}:f:${s.fingerprint}`)];
    const args = sightings.flatMap((s) => [
      String(KINDS.indexOf(s.kind) + 1),
      s.occurrence ? '1' : '0',
      s.recurrence ? '1' : '0',
    ]);
    const out = (await this.client.eval(
      OBSERVE_SCRIPT,
      keys.length,
      ...keys,
      String(nowMs),
      String(RECURRENCE_DECAY),
      String(RECORD_MS),
      String(STATS_SECONDS),
      ...args,
    )) as string[];
    const stats = out.slice(sightings.length).map(parseStats);
    return {
      records: out.slice(0, sightings.length).map(parseRecord),
      recurrence: { tools: stats[0]!, system: stats[1]!, history: stats[2]! },
    };
  }

  async placed(
    tenantId: string,
    points: readonly { fingerprint: string; untilMs: number; ttl: '5m' | '1h' }[],
  ): Promise<void> {
    if (points.length === 0) return;
    const tenant = `${this.prefix}:{${enc(tenantId)}}`;
    await this.client.eval(
      PLACED_SCRIPT,
      points.length,
      ...points.map((p) => `${tenant}:f:${p.fingerprint}`),
      String(RECORD_MS),
      ...points.flatMap((p) => [String(p.untilMs), p.ttl]),
    );
  }

  async close(): Promise<void> {
    if (this.owned) this.client.disconnect();
  }
}
