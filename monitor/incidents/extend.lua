-- Add the events of attacks going on past their thresholds to their open incidents, many
-- fingerprints in one call (a scanner flood updates thousands of incidents per batch). An
-- incident that is not open (none yet, resolved, or past the suppression window) is left
-- alone: only a threshold crossing opens or reopens one.
-- KEYS: fingerprint keys. ARGV[1]: the suppression window (ms); ARGV[2]: how long a
-- fingerprint's applied finding ids are kept (ms). Then, for each key in turn: tag,
-- incident key base, finding id, first ms, last ms, last iso, the number of customer ids
-- (c), the number of count marks (m), and when the marks rise one after the other, the
-- oldest and the newest of them (else '' and ''), then the c customer ids, then the m
-- marks (monitor.events.count_mark) in one argument, separated by \30: a scanner's run
-- holds hundreds, split only when they do not all rise past the mark the incident
-- counted (a line logged late among them). Each incident is read in one HMGET and
-- written in one HSET.
-- Replies, per key: {incident id, 'extended' | 'ignored' | 'duplicate'}.
local HEAD = 10
local suppression_ms, applied_ttl = tonumber(ARGV[1]), ARGV[2]

-- The key's reply, from its arguments at ARGV[a..], which end at ARGV[a + HEAD + customers].
local function extend(fp, a, customers)
  local tag, base, finding_id = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  local first_ms, last_ms, last_iso = tonumber(ARGV[a + 3]), ARGV[a + 4], ARGV[a + 5]
  local marks, oldest = tonumber(ARGV[a + 7]), ARGV[a + 8]
  local n = tonumber(redis.call('HGET', fp, 'n') or '0')
  if n == 0 then return {tag .. '-0', 'ignored'} end
  local key = base .. n
  local held = redis.call('HMGET', key, 'status', 'last_seen_ms', 'counted_mark', 'event_count')
  local status, seen = held[1], tonumber(held[2] or '0')
  if status == false or status == 'resolved' or first_ms - seen > suppression_ms then
    return {tag .. '-' .. n, 'ignored'}
  end
  local applied = fp .. ':applied'
  if redis.call('SADD', applied, finding_id) == 0 then return {tag .. '-' .. n, 'duplicate'} end
  redis.call('PEXPIRE', applied, applied_ttl)
  local stored = held[3]
  local added, newest
  if oldest ~= '' and oldest > (stored or '') then
    -- Rising marks all past the newest counted: every one counts (what count_past finds).
    added, newest = marks, ARGV[a + 9]
  else
    -- As many parts as marks were sent: a mark holding the separator cannot add more.
    local list = split(ARGV[a + HEAD + customers])
    added, newest = count_past(stored or '', list, 1, math.min(#list, marks))
  end
  local changed = {}
  if newest ~= stored then
    changed[#changed + 1], changed[#changed + 2] = 'counted_mark', newest
  end
  if added > 0 then
    changed[#changed + 1] = 'event_count'
    changed[#changed + 1] = tonumber(held[4] or '0') + added
  end
  if tonumber(last_ms) > seen then
    changed[#changed + 1], changed[#changed + 2] = 'last_seen_ms', last_ms
    changed[#changed + 1], changed[#changed + 2] = 'last_seen', last_iso
  end
  if #changed > 0 then redis.call('HSET', key, unpack(changed)) end
  -- unpack() has a stack limit: a run of record views may name thousands of customers.
  local last = a + HEAD + customers - 1
  for chunk = a + HEAD, last, 1000 do
    redis.call('SADD', key .. ':customers', unpack(ARGV, chunk, math.min(chunk + 999, last)))
  end
  return {tag .. '-' .. n, 'extended'}
end

local out = {}
local a = 3 -- where the arguments of the key at hand start
for i, fp in ipairs(KEYS) do
  local customers = tonumber(ARGV[a + 6])
  out[i] = extend(fp, a, customers)
  a = a + HEAD + customers + 1
end
return out
