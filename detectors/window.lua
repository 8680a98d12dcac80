-- The window groups of one shard in one call. For each key: read the members and scores it
-- held after `since` (what the batch's earliest event needs; the caller knows its own
-- members), add the batch's members, then trim to what the next batch can need (after
-- `keep`, at most `cap` members) and refresh the TTL.
-- KEYS: window keys sharing one hash tag. ARGV[i] belongs to KEYS[i] and packs, separated
-- by \30: since and keep (exclusive, ms), cap, ttl (ms), then pairs of score and member.
-- One packed argument per key keeps the client from encoding a million arguments.
local out = {}
for i, key in ipairs(KEYS) do
  local parts = split(ARGV[i])
  local since, keep, cap, ttl = parts[1], parts[2], tonumber(parts[3]), parts[4]
  local held = redis.call('ZRANGEBYSCORE', key, '(' .. since, '+inf', 'WITHSCORES')
  -- Scores as integers (epoch milliseconds): the client then has nothing to parse.
  for j = 2, #held, 2 do
    held[j] = tonumber(held[j])
  end
  out[i] = held
  -- unpack() has a stack limit: add in chunks of 1,000 pairs.
  for first = 5, #parts, 2000 do
    redis.call('ZADD', key, unpack(parts, first, math.min(first + 1999, #parts)))
  end
  if #parts > 4 then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. keep)
    redis.call('ZREMRANGEBYRANK', key, 0, -cap - 1)
    redis.call('PEXPIRE', key, ttl)
  end
end
return out
