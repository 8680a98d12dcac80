-- A batch's customer-data tallies per actor and hour, in one call (detectors/volume.py):
-- a pipeline of eight commands per actor cost the detect worker more than the script.
-- KEYS, four per actor-hour: its counters (a hash), its customers and addresses
-- (HyperLogLogs), the hour's set of actors. All share the {volume} hash tag.
-- ARGV[1]: the TTL in seconds; then per actor-hour: the actor, the number of counters and
-- their name/increment pairs, the number of customers and the customers, the number of
-- addresses and the addresses. Values are single arguments: nothing is split or escaped.
local ttl = ARGV[1]
local at = 2
-- A key of one hour gets its TTL once, when it has none: expiring 15 days after its first
-- count rather than its last (within the hour) changes nothing the fit reads, and an
-- EXPIRE per key and batch was a twentieth of what the append-only file wrote.
local function expire(key)
  if redis.call('TTL', key) < 0 then
    redis.call('EXPIRE', key, ttl)
  end
end
for k = 1, #KEYS, 4 do
  local counters, actors = KEYS[k], KEYS[k + 3]
  local actor = ARGV[at]
  local n = tonumber(ARGV[at + 1])
  at = at + 2
  for i = 1, n do
    redis.call('HINCRBY', counters, ARGV[at], ARGV[at + 1])
    at = at + 2
  end
  expire(counters)
  for _, key in ipairs({KEYS[k + 1], KEYS[k + 2]}) do
    n = tonumber(ARGV[at])
    at = at + 1
    -- unpack() has a stack limit: add in chunks of 1,000.
    for first = at, at + n - 1, 1000 do
      redis.call('PFADD', key, unpack(ARGV, first, math.min(first + 999, at + n - 1)))
    end
    if n > 0 then
      expire(key)
    end
    at = at + n
  end
  redis.call('SADD', actors, actor)
  expire(actors)
end
