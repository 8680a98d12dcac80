-- Add the events of attacks going on past their thresholds to their open incidents, many
-- fingerprints in one call (a scanner flood updates hundreds of incidents per batch). An
-- incident that is not open (none yet, resolved, or past the suppression window) is left
-- alone: only a threshold crossing opens or reopens one.
-- KEYS: fingerprint keys. ARGV[i] belongs to KEYS[i] and packs, separated by \30: tag,
-- incident key base, finding id, first ms, last ms, last iso, suppression ms, applied ttl,
-- the number of count marks, the marks (monitor.events.count_mark), then customer ids.
-- Replies, per key: {incident id, 'extended' | 'ignored' | 'duplicate'}.
local function extend(fp, p)
  local tag, base, finding_id = p[1], p[2], p[3]
  local first_ms, last_ms, last_iso = tonumber(p[4]), tonumber(p[5]), p[6]
  local suppression_ms, applied_ttl, marks_n = tonumber(p[7]), tonumber(p[8]), tonumber(p[9])
  local n = tonumber(redis.call('HGET', fp, 'n') or '0')
  local key = base .. n
  if n == 0 then return {tag .. '-0', 'ignored'} end
  local held = redis.call('HMGET', key, 'status', 'last_seen_ms')
  local status, seen = held[1], tonumber(held[2] or '0')
  if status == false or status == 'resolved' or first_ms - seen > suppression_ms then
    return {tag .. '-' .. n, 'ignored'}
  end
  local applied = fp .. ':applied'
  if redis.call('SADD', applied, finding_id) == 0 then return {tag .. '-' .. n, 'duplicate'} end
  redis.call('PEXPIRE', applied, applied_ttl)
  local added = count_new(key, p, 10, 9 + marks_n)
  if added > 0 then redis.call('HINCRBY', key, 'event_count', added) end
  if last_ms > seen then redis.call('HSET', key, 'last_seen_ms', last_ms, 'last_seen', last_iso) end
  for i = 10 + marks_n, #p do redis.call('SADD', key .. ':customers', p[i]) end
  return {tag .. '-' .. n, 'extended'}
end

local out = {}
for i, fp in ipairs(KEYS) do
  out[i] = extend(fp, split(ARGV[i]))
end
return out
