-- The window groups of one shard in one call. For each key: add the batch's members, trim
-- by time and by count, refresh the TTL, and return members and scores after `since`.
-- KEYS: window keys sharing one hash tag. ARGV[i] belongs to KEYS[i] and packs, separated
-- by \30: since (exclusive, ms), cap, ttl (ms), then pairs of score and member. One packed
-- argument per key keeps the client from encoding hundreds of thousands of arguments.
local function split(text)
  local parts, start = {}, 1
  while true do
    local stop = string.find(text, '\30', start, true)
    if not stop then
      parts[#parts + 1] = string.sub(text, start)
      return parts
    end
    parts[#parts + 1] = string.sub(text, start, stop - 1)
    start = stop + 1
  end
end

local out = {}
for i, key in ipairs(KEYS) do
  local parts = split(ARGV[i])
  local since, cap, ttl = parts[1], tonumber(parts[2]), parts[3]
  if #parts > 3 then
    -- unpack() has a stack limit: add in chunks of 1,000 pairs.
    for first = 4, #parts, 2000 do
      redis.call('ZADD', key, unpack(parts, first, math.min(first + 1999, #parts)))
    end
    redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. since)
    redis.call('ZREMRANGEBYRANK', key, 0, -cap - 1)
    redis.call('PEXPIRE', key, ttl)
  end
  out[i] = redis.call('ZRANGEBYSCORE', key, '(' .. since, '+inf', 'WITHSCORES')
end
return out
