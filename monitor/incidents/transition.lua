-- Move an incident to a new status if the move is allowed; append it to the timeline.
-- KEYS[1]: the incident hash. ARGV: new status, who, when (ISO), note, allowed old statuses
-- (csv), when (ms), classification ('' for none), the indexes' key prefix ('' on a cluster,
-- where the store files the incident after), the incident id.
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing', ''} end
if not string.find(',' .. ARGV[5] .. ',', ',' .. status .. ',', 1, true) then
  return {'refused', status}
end
redis.call('HSET', KEYS[1], 'status', ARGV[1], ARGV[1] .. '_by', ARGV[2], ARGV[1] .. '_at', ARGV[3],
  'status_ms', ARGV[6])
local entry = {at = ARGV[3], by = ARGV[2], action = ARGV[1], note = ARGV[4]}
if ARGV[7] ~= '' then
  redis.call('HSET', KEYS[1], 'classification', ARGV[7])
  entry['classification'] = ARGV[7]
end
redis.call('RPUSH', KEYS[1] .. ':timeline', cjson.encode(entry))
if ARGV[8] ~= '' then
  local f = redis.call('HMGET', KEYS[1], 'first_seen_ms', 'severity', 'severity_rank')
  index_incident(ARGV[8], ARGV[9], f[1], ARGV[1], f[2], f[3], nil, {})
end
return {'done', status}
