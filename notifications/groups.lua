-- Alert groups: incidents of one family and entity raised within group_wait share one alert.
-- KEYS[1]: the group's pending key; KEYS[2]: the members key prefix; KEYS[3] (join only):
-- the marker of the incident change being handled. All under the {alerts} hash tag.
if ARGV[1] == 'join' then
  -- ARGV: 'join', new alert id, incident id, pending ttl ms. Returns {alert id, how}: 1 a new
  -- alert, 0 an open one joined, 2 a change handled before (replayed after a crash).
  local handled = redis.call('GET', KEYS[3])
  if handled then return {handled, 2} end
  local alert = redis.call('GET', KEYS[1])
  local opened = 0
  if not alert then
    alert = ARGV[2]
    opened = 1
    redis.call('SET', KEYS[1], alert, 'PX', ARGV[4])
  end
  redis.call('SADD', KEYS[2] .. alert, ARGV[3])
  redis.call('PEXPIRE', KEYS[2] .. alert, 30 * 86400000)
  redis.call('SET', KEYS[3], alert, 'PX', 7 * 86400000)
  return {alert, opened}
end
if ARGV[1] == 'close' then
  -- ARGV: 'close', alert id. The group stops taking members; returns them.
  if redis.call('GET', KEYS[1]) == ARGV[2] then redis.call('DEL', KEYS[1]) end
  return redis.call('SMEMBERS', KEYS[2] .. ARGV[2])
end
return redis.error_reply('unknown group move')
