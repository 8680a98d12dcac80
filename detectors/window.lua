-- The window groups of one shard in one call. For each key: read what the batch's events
-- need from before the batch (members in (since, upper], the newest `cap` of them, leaving
-- out the batch's own: the caller knows those), add the batch's members, then trim what no
-- batch can need any more and refresh the TTL.
-- A replayed batch (after a crash, or taken over from a silent worker) reads what its first
-- run read: its own members, already added, are left out; nothing newer than its events is
-- read; and trims stop at `settled`, the earliest event a batch not yet stored may hold:
-- by time, members older than it by the span go; by the cap, only members up to it go (the
-- oldest first), so the members a first run saw are still there for its replay.
-- A caller keeps a copy of the keys it wrote (detectors/held.py). The shard's mark names
-- the last call that wrote any of its keys: when it is still the caller's own, nobody wrote
-- since, and a key holding as many members as the caller's copy is not read at all.
-- KEYS[1]: the shard's mark; KEYS[2..]: window keys sharing its hash tag.
-- ARGV[1]: the mark the caller left ('' if none); ARGV[2]: the mark it leaves now.
-- ARGV[i + 1] belongs to KEYS[i] and packs, separated by \30: since, upper, keep (settled
-- less the span), settled (ms), cap, ttl (ms; negative: the caller set it lately), the
-- oldest of the batch's members (ms), how many members the caller's copy holds (-1: no
-- copy, -2: never copied), how many of the oldest members the trims remove if the copy
-- holds, then pairs of score and member.
-- The caller's hints hold only when its copy does; else the key is read, trimmed and given
-- its TTL as always.
-- One packed argument per key keeps the client from encoding a million arguments.
-- Each key's reply: nothing when the copy holds (the caller knows what the key holds
-- now); else its size after the call, its oldest member and that member's score, and the
-- members read; for a key never copied, only the members read.
local FIRST_PAIR = 10
local NOT_COPIED = -2
local current = redis.call('GET', KEYS[1])
local unwritten = current ~= false and current == ARGV[1]
redis.call('SET', KEYS[1], ARGV[2])
local out = {}
for i = 2, #KEYS do
  local key = KEYS[i]
  local parts = split(ARGV[i + 1])
  local since, upper, keep, settled = parts[1], parts[2], parts[3], parts[4]
  local cap, ttl, oldest = tonumber(parts[5]), tonumber(parts[6]), parts[7]
  local copy, drop = tonumber(parts[8]), tonumber(parts[9])
  local own = (#parts - FIRST_PAIR + 1) / 2
  local valid = unwritten and copy >= 0 and redis.call('ZCARD', key) == copy
  local held = nil
  if not valid then
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
    held = {}
    for k = n, 1, -1 do
      local j = picked[k]
      held[#held + 1] = newest[j]
      held[#held + 1] = tonumber(newest[j + 1])
    end
  end
  -- unpack() has a stack limit: add in chunks of 1,000 pairs.
  for first = FIRST_PAIR, #parts, 2000 do
    redis.call('ZADD', key, unpack(parts, first, math.min(first + 1999, #parts)))
  end
  if #parts >= FIRST_PAIR then
    if valid then
      if drop > 0 then
        redis.call('ZREMRANGEBYRANK', key, 0, drop - 1)
      end
    else
      redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. keep)
      local old = redis.call('ZCOUNT', key, '-inf', settled)
      if old > cap then
        redis.call('ZREMRANGEBYRANK', key, 0, old - cap - 1)
      end
    end
    if not valid or ttl > 0 then
      redis.call('PEXPIRE', key, math.abs(ttl))
    end
  end
  local reply = {}
  if copy == NOT_COPIED then
    reply = held
  elseif not valid then
    local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    reply = {redis.call('ZCARD', key), first[1] or '', tonumber(first[2] or '0'), held}
  end
  out[i - 1] = reply
end
return out
