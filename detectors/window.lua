-- One window group in one call: add the batch's members, trim by time and by count,
-- refresh the TTL, and return members and scores from `since` on.
-- KEYS[1]: the window key. ARGV: since (exclusive, ms), cap, ttl ms, then score/member pairs.
local key = KEYS[1]
if #ARGV > 3 then
  redis.call('ZADD', key, unpack(ARGV, 4))
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. ARGV[1])
  redis.call('ZREMRANGEBYRANK', key, 0, -tonumber(ARGV[2]) - 1)
  redis.call('PEXPIRE', key, ARGV[3])
end
return redis.call('ZRANGEBYSCORE', key, '(' .. ARGV[1], '+inf', 'WITHSCORES')
