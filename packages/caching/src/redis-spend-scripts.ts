// The Lua scripts of RedisSpendLedger. Every key a script touches carries the tenant's hash tag, so each runs in one
// Cluster slot. Numbers travel as strings: Lua would print a double with 14 digits.

/**
 * Applies one tenant's batch once. KEYS: applied-marker, days sorted set, running totals hash, holds sorted set, one
 * hash per day of the batch, then markers of batches already acknowledged (deleted: they served their purpose).
 * ARGV: retention seconds, marker seconds, day count, forget count, the batch as JSON
 * `{ d: [[epochDay, [field, value, …]], …], t: [field, value, …], r: [hold, …] }`. Returns 1, or 0 when the marker
 * says the batch was applied before (a retry of a write whose answer was lost).
 */
export const WRITE_SCRIPT = `
local days, forget = tonumber(ARGV[3]), tonumber(ARGV[4])
for i = 1, forget do redis.call('del', KEYS[4 + days + i]) end
if not redis.call('set', KEYS[1], '1', 'NX', 'EX', ARGV[2]) then return 0 end
local batch = cjson.decode(ARGV[5])
for d = 1, days do
  local key, day = KEYS[4 + d], batch.d[d]
  local fields = day[2]
  for i = 1, #fields, 2 do
    if string.sub(fields[i], -6) == '|calls' then redis.call('hincrby', key, fields[i], fields[i + 1])
    else redis.call('hincrbyfloat', key, fields[i], fields[i + 1]) end
  end
  redis.call('expire', key, ARGV[1])
  redis.call('zadd', KEYS[2], day[1], day[1])
end
if days > 0 then redis.call('expire', KEYS[2], ARGV[1]) end
for i = 1, #batch.t, 2 do redis.call('hincrbyfloat', KEYS[3], batch.t[i], batch.t[i + 1]) end
if #batch.t > 0 then redis.call('expire', KEYS[3], ARGV[1]) end
for i = 1, #batch.r, 500 do redis.call('zrem', KEYS[4], unpack(batch.r, i, math.min(i + 499, #batch.r))) end
return 1`;

/**
 * Reads a tenant's days in a range, and whether a batch sent but not acknowledged was applied, in one atomic step:
 * the caller then counts that batch from memory exactly when Redis does not have it. KEYS: days sorted set, the
 * batch's applied-marker (optional). ARGV: min and max epoch day (ZRANGEBYSCORE syntax), prefix of the day hashes
 * (same hash tag, so the same slot). Returns { marker exists (0|1), day, hash as a flat array, day, hash, … }.
 */
export const READ_SCRIPT = `
local function iso(z)
  z = z + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return string.format('%04d-%02d-%02d', y, m, d)
end
local out = { KEYS[2] and redis.call('exists', KEYS[2]) or 0 }
for _, day in ipairs(redis.call('zrangebyscore', KEYS[1], ARGV[1], ARGV[2])) do
  out[#out + 1] = day
  out[#out + 1] = redis.call('hgetall', ARGV[3] .. iso(tonumber(day)))
end
return out`;

/**
 * Takes a budget hold when the tenant's recorded spend, its live holds and this one stay within every limit. KEYS:
 * running totals hash, holds sorted set (member `id:usd`, score = expiry in ms on Redis' clock, so processes' clocks
 * do not matter). ARGV: USD, hold lifetime ms, hold id, limit count, then pairs of totals field and limit USD.
 * Returns { 1, member } or { 0, index of the limit without room, spent, held }.
 */
export const HOLD_SCRIPT = `
local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('zremrangebyscore', KEYS[2], '-inf', now)
local held = 0
for _, member in ipairs(redis.call('zrange', KEYS[2], 0, -1)) do held = held + tonumber(string.match(member, ':([^:]+)$')) end
local amount = tonumber(ARGV[1])
for i = 0, tonumber(ARGV[4]) - 1 do
  local spent = tonumber(redis.call('hget', KEYS[1], ARGV[5 + 2 * i]) or '0')
  if spent + held + amount > tonumber(ARGV[6 + 2 * i]) then return { 0, i, tostring(spent), tostring(held) } end
end
local member = ARGV[3] .. ':' .. ARGV[1]
redis.call('zadd', KEYS[2], now + tonumber(ARGV[2]), member)
redis.call('pexpire', KEYS[2], ARGV[2])
return { 1, member }`;
