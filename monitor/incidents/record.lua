-- Create or merge an incident from one finding, atomically and idempotently.
-- KEYS[1]: the fingerprint key (hash: n = current generation). Every other key
-- touched shares its hash tag, so the script stays in one cluster slot.
local fp = KEYS[1]
local tag, finding_id = ARGV[1], ARGV[2]
local first_ms, first_iso = tonumber(ARGV[3]), ARGV[4]
local last_ms, last_iso = tonumber(ARGV[5]), ARGV[6]
local suppression_ms = tonumber(ARGV[7])
local severity, rank = ARGV[8], tonumber(ARGV[9])
local evidence_limit = tonumber(ARGV[14])
local now_iso, applied_ttl = ARGV[15], tonumber(ARGV[16])
local evidence_n = tonumber(ARGV[17])
local base = ARGV[18]
local now_ms, reopen_ms = tonumber(ARGV[19]), tonumber(ARGV[20])
local marks_n = tonumber(ARGV[21])
-- The indexes' key prefix ('' on a cluster, where the store files the incident after), the
-- packed index names of the finding's family, detector, entities and title, of its customers.
local index_prefix, index_fixed, index_added = ARGV[22], ARGV[23], ARGV[24]
local FIRST_EVIDENCE = 25
local FIRST_MARK = FIRST_EVIDENCE + 2 * evidence_n

local applied = fp .. ':applied'
local n = tonumber(redis.call('HGET', fp, 'n') or '0')
if redis.call('SADD', applied, finding_id) == 0 then
  local key = base .. n
  return {tag .. '-' .. n, 'duplicate', redis.call('HGET', key, 'severity') or severity}
end
redis.call('PEXPIRE', applied, applied_ttl)

local key = base .. n
local merge = false
local reopen = false
local retitled = false
if n > 0 then
  local status = redis.call('HGET', key, 'status')
  local seen = tonumber(redis.call('HGET', key, 'last_seen_ms') or '0')
  if status == 'resolved' then
    -- New evidence soon after a resolve reopens the incident instead of starting another.
    local resolved_ms = tonumber(redis.call('HGET', key, 'status_ms') or '0')
    reopen = now_ms - resolved_ms <= reopen_ms
    merge = reopen
  else
    merge = status ~= false and first_ms - seen <= suppression_ms
  end
end

local state
if merge then
  state = 'updated'
  if reopen then
    state = 'reopened'
    redis.call('HSET', key, 'status', 'open', 'status_ms', now_ms)
    redis.call('RPUSH', key .. ':timeline', cjson.encode({
      at = now_iso, by = 'vigil', action = 'reopened', note = 'new evidence after resolve'}))
  end
  redis.call('HINCRBY', key, 'event_count', count_new(key, ARGV, FIRST_MARK, FIRST_MARK + marks_n - 1))
  if first_ms < tonumber(redis.call('HGET', key, 'first_seen_ms')) then
    redis.call('HSET', key, 'first_seen_ms', first_ms, 'first_seen', first_iso)
  end
  if last_ms > tonumber(redis.call('HGET', key, 'last_seen_ms')) then
    redis.call('HSET', key, 'last_seen_ms', last_ms, 'last_seen', last_iso)
  end
  if rank > tonumber(redis.call('HGET', key, 'severity_rank')) then
    if not reopen then state = 'escalated' end
    retitled = true
    redis.call('HSET', key, 'severity', severity, 'severity_rank', rank, 'title', ARGV[12])
    redis.call('RPUSH', key .. ':timeline', cjson.encode({
      at = now_iso, by = 'vigil', action = 'severity-raised', severity = severity}))
  end
else
  state = 'created'
  retitled = true
  n = n + 1
  key = base .. n
  redis.call('HSET', fp, 'n', n)
  redis.call('HSET', key, 'id', tag .. '-' .. n, 'detector', ARGV[10], 'family', ARGV[11],
    'title', ARGV[12], 'entities', ARGV[13], 'severity', severity, 'severity_rank', rank,
    'status', 'open', 'first_seen', first_iso, 'first_seen_ms', first_ms,
    'last_seen', last_iso, 'last_seen_ms', last_ms, 'event_count', count_new(key, ARGV, FIRST_MARK, FIRST_MARK + marks_n - 1),
    'created_at', now_iso,
    'status_ms', now_ms)
  redis.call('RPUSH', key .. ':timeline', cjson.encode({
    at = now_iso, by = 'vigil', action = 'created', severity = severity}))
end

-- Evidence: the first `evidence_limit` distinct event references; the count goes on.
local kept = redis.call('LLEN', key .. ':evidence')
for i = 0, evidence_n - 1 do
  if kept >= evidence_limit then break end
  local ref_id, ref_json = ARGV[FIRST_EVIDENCE + 2 * i], ARGV[FIRST_EVIDENCE + 1 + 2 * i]
  if redis.call('SADD', key .. ':evidence_ids', ref_id) == 1 then
    redis.call('RPUSH', key .. ':evidence', ref_json)
    kept = kept + 1
  end
end
for i = FIRST_MARK + marks_n, #ARGV do
  redis.call('SADD', key .. ':customers', ARGV[i])
end
if index_prefix ~= '' then
  local f = redis.call('HMGET', key, 'first_seen_ms', 'status', 'severity', 'severity_rank')
  local added = {}
  if index_added ~= '' then added = split(index_added) end
  index_incident(index_prefix, tag .. '-' .. n, f[1], f[2], f[3], f[4],
    retitled and split(index_fixed) or nil, added)
end
return {tag .. '-' .. n, state, redis.call('HGET', key, 'severity')}
