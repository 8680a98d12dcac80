-- The window groups of one shard in one call. For each key: read what the batch's events
-- need from before the batch (members in (since, upper], the newest `cap` of them, leaving
-- out the batch's own: the caller knows those), add the batch's members, then trim what no
-- batch can need any more and refresh the TTL.
-- A replayed batch (after a crash, or taken over from a silent worker) reads what its first
-- run read: its own members, already added, are left out; nothing newer than its events is
-- read; and trims stop at `settled`, the earliest event a batch not yet stored may hold:
-- by time, members older than it by the span go; by the cap, only members up to it go (the
-- oldest first), so the members a first run saw are still there for its replay.
-- KEYS: window keys sharing one hash tag. ARGV[i] belongs to KEYS[i] and packs, separated
-- by \30: since, upper, keep (settled less the span), settled (ms), cap, ttl (ms), the
-- oldest of the batch's members (ms), then pairs of score and member.
-- One packed argument per key keeps the client from encoding a million arguments.
local FIRST_PAIR = 8
local out = {}
for i, key in ipairs(KEYS) do
  local parts = split(ARGV[i])
  local since, upper, keep, settled = parts[1], parts[2], parts[3], parts[4]
  local cap, ttl, oldest = tonumber(parts[5]), parts[6], parts[7]
  local own = (#parts - FIRST_PAIR + 1) / 2
  local newest = redis.call('ZREVRANGEBYSCORE', key, upper, '(' .. since, 'WITHSCORES',
    'LIMIT', 0, cap + own)
  -- The batch's own members can only be among them if the newest is not older than the
  -- batch's oldest (a replay, or ties): only then are they looked up.
  local mine = {}
  if own > 0 and #newest > 0 and tonumber(newest[2]) >= tonumber(oldest) then
    for j = FIRST_PAIR + 1, #parts, 2 do mine[parts[j]] = true end
  end
  -- Newest first: keep the newest `cap` that are not the batch's, then oldest first, with
  -- scores as integers (epoch milliseconds): the client then has nothing to parse.
  local picked, n = {}, 0
  for j = 1, #newest, 2 do
    if n >= cap then break end
    if not mine[newest[j]] then
      n = n + 1
      picked[n] = j
    end
  end
  local held = {}
  for k = n, 1, -1 do
    local j = picked[k]
    held[#held + 1] = newest[j]
    held[#held + 1] = tonumber(newest[j + 1])
  end
  out[i] = held
  -- unpack() has a stack limit: add in chunks of 1,000 pairs.
  for first = FIRST_PAIR, #parts, 2000 do
    redis.call('ZADD', key, unpack(parts, first, math.min(first + 1999, #parts)))
  end
  if #parts >= FIRST_PAIR then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. keep)
    local old = redis.call('ZCOUNT', key, '-inf', settled)
    if old > cap then
      redis.call('ZREMRANGEBYRANK', key, 0, old - cap - 1)
    end
    redis.call('PEXPIRE', key, ttl)
  end
end
return out
