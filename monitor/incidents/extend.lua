-- Add the events of attacks going on past their thresholds to their open incidents, many
-- fingerprints in one call (a scanner flood updates hundreds of incidents per batch). An
-- incident that is not open (none yet, resolved, or past the suppression window) is left
-- alone: only a threshold crossing opens or reopens one.
-- KEYS: fingerprint keys. ARGV[i] belongs to KEYS[i] and packs, separated by \30: tag,
-- incident key base, finding id, first ms, last ms, last iso, suppression ms, applied ttl,
-- the number of customer ids, '1' if the marks rise one after the other (else '0'), the
-- oldest and the newest mark and their number, then the customer ids, then the count marks
-- (monitor.events.count_mark).
-- Replies, per key: {incident id, 'extended' | 'ignored' | 'duplicate'}.
local HEAD = 13

-- The first `n` fields of a packed argument, and what follows them (nil if nothing does):
-- a scanner's marks, thousands a batch, are split only when they must be looked at.
local function fields(text, n)
  local parts, start = {}, 1
  for i = 1, n do
    local stop = string.find(text, '\30', start, true)
    if not stop then
      parts[i] = string.sub(text, start)
      return parts, nil
    end
    parts[i] = string.sub(text, start, stop - 1)
    start = stop + 1
  end
  return parts, string.sub(text, start)
end

local function extend(fp, packed)
  local p, rest = fields(packed, HEAD)
  local tag, base, finding_id = p[1], p[2], p[3]
  local first_ms, last_ms, last_iso = tonumber(p[4]), tonumber(p[5]), p[6]
  local suppression_ms, applied_ttl = tonumber(p[7]), tonumber(p[8])
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
  local customers = {}
  if rest and tonumber(p[9]) > 0 then customers, rest = fields(rest, tonumber(p[9])) end
  local added
  local counted = redis.call('HGET', key, 'counted_mark')
  if p[10] == '1' and p[11] > (counted or '') then
    -- Rising marks all past the newest counted: every one counts (what count_new finds).
    added = tonumber(p[13])
    redis.call('HSET', key, 'counted_mark', p[12])
  else
    -- As many parts as marks were sent: a mark holding the separator cannot add more.
    local marks = rest and split(rest) or {}
    added = count_new(key, marks, 1, math.min(#marks, tonumber(p[13])))
  end
  if added > 0 then redis.call('HINCRBY', key, 'event_count', added) end
  if last_ms > seen then redis.call('HSET', key, 'last_seen_ms', last_ms, 'last_seen', last_iso) end
  for _, customer in ipairs(customers) do redis.call('SADD', key .. ':customers', customer) end
  return {tag .. '-' .. n, 'extended'}
end

local out = {}
for i, fp in ipairs(KEYS) do
  out[i] = extend(fp, ARGV[i])
end
return out
