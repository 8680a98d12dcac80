-- The outbox state machine, one script per move, all keys under the {outbox} hash tag.
-- KEYS[1]: the due set (score = when to try next); KEYS[2]: the message hash prefix.
-- ARGV[1]: the move; the rest depends on it.
local due, prefix, move = KEYS[1], KEYS[2], ARGV[1]

if move == 'enqueue' then
  -- ARGV: key, message json, now ms. A key seen before is never queued again.
  local key = prefix .. ARGV[2]
  if redis.call('EXISTS', key) == 1 then return 0 end
  redis.call('HSET', key, 'state', 'pending', 'attempts', 0, 'message', ARGV[3],
    'queued_at', ARGV[4])
  redis.call('ZADD', due, ARGV[4], ARGV[2])
  return 1
end

if move == 'claim' then
  -- ARGV: now ms, lease ms, count. Due messages become 'sending' and are due again when the
  -- lease ends, so a sender that dies mid-send leaves them to the next one.
  local now, lease = tonumber(ARGV[2]), tonumber(ARGV[3])
  local keys = redis.call('ZRANGEBYSCORE', due, '-inf', now, 'LIMIT', 0, tonumber(ARGV[4]))
  local out = {}
  for _, id in ipairs(keys) do
    local key = prefix .. id
    redis.call('HSET', key, 'state', 'sending')
    redis.call('HINCRBY', key, 'attempts', 1)
    redis.call('ZADD', due, now + lease, id)
    out[#out + 1] = id
    out[#out + 1] = redis.call('HGET', key, 'message')
    out[#out + 1] = redis.call('HGET', key, 'attempts')
  end
  return out
end

if move == 'sent' then
  -- ARGV: key, message id, now ms, retention ms (the key guards against a resend until then).
  local key = prefix .. ARGV[2]
  redis.call('HSET', key, 'state', 'sent', 'message_id', ARGV[3], 'sent_at', ARGV[4])
  redis.call('HDEL', key, 'last_error')
  redis.call('PEXPIRE', key, ARGV[5])
  redis.call('ZREM', due, ARGV[2])
  return 1
end

if move == 'failed' then
  -- ARGV: key, error, next try ms (or 'dead'), dead set key.
  local key = prefix .. ARGV[2]
  redis.call('HSET', key, 'last_error', ARGV[3])
  redis.call('ZREM', due, ARGV[2])
  if ARGV[4] == 'dead' then
    redis.call('HSET', key, 'state', 'dead')
    redis.call('ZADD', ARGV[5], redis.call('TIME')[1], ARGV[2])
  else
    redis.call('HSET', key, 'state', 'pending')
    redis.call('ZADD', due, ARGV[4], ARGV[2])
  end
  return 1
end

if move == 'retry' then
  -- ARGV: key, now ms, dead set key, and optionally the message as it should now read.
  -- A dead message is queued again, its tries reset.
  local key = prefix .. ARGV[2]
  if redis.call('HGET', key, 'state') ~= 'dead' then return 0 end
  redis.call('HSET', key, 'state', 'pending', 'attempts', 0)
  if ARGV[5] then redis.call('HSET', key, 'message', ARGV[5]) end
  redis.call('ZREM', ARGV[4], ARGV[2])
  redis.call('ZADD', due, ARGV[3], ARGV[2])
  return 1
end
if move == 'cancel' then
  -- ARGV: dead set key, how many keys are guarded, then message keys, guarded first. If a
  -- guarded one has gone out (or is going), nothing is cancelled and those keys are
  -- returned; else every pending or dead one is cancelled.
  local guarded, gone = tonumber(ARGV[3]), {}
  for i = 4, 3 + guarded do
    local state = redis.call('HGET', prefix .. ARGV[i], 'state')
    if state == 'sending' or state == 'sent' then gone[#gone + 1] = ARGV[i] end
  end
  if #gone > 0 then return gone end
  for i = 4, #ARGV do
    local key = prefix .. ARGV[i]
    local state = redis.call('HGET', key, 'state')
    if state == 'pending' or state == 'dead' then
      redis.call('HSET', key, 'state', 'cancelled')
      redis.call('ZREM', due, ARGV[i])
      redis.call('ZREM', ARGV[2], ARGV[i])
    end
  end
  return gone
end
return redis.error_reply('unknown outbox move ' .. move)
