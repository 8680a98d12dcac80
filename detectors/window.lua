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
-- ARGV[1]: the mark the caller left ('' if none); ARGV[2]: the mark it leaves now. Then,
-- for each of KEYS[2..] in turn: since, upper, keep (settled less the span), settled (ms),
-- cap, ttl (ms; negative: the caller set it lately), the oldest of the batch's members
-- (ms), how many members the caller's copy holds (-1: no copy, -2: never copied), how many
-- of the oldest members the trims remove if the copy holds, how many members the batch
-- adds (n), for a counted key (-3) four more (edge, recent, below, recent_below: see
-- counted()), then n pairs of score and member.
-- The caller's hints hold only when its copy does; else the key is read, trimmed and given
-- its TTL as always.
-- Arguments of their own, not a packed string per key: splitting one in Lua cost more than
-- the client's packing of many (in C).
-- Each key's reply: nothing when the copy holds (the caller knows what the key holds
-- now); else its size after the call, its oldest member and that member's score, and the
-- members read; for a key never copied, only the members read; for a counted key, how
-- many it left out, then the members read. Then 1 if the shard's mark was the caller's,
-- else 0.
local HEAD = 10
local NOT_COPIED = -2
local COUNTED = -3
-- Keys never copied have their TTL (span and an hour) set again when this much of it has
-- run out (detectors/windows.py sets copied ones again as often: REFRESH_SECONDS).
local REFRESH_MS = 600000

-- A counted key's members in (since, upper], newest first, leaving out those in
-- (edge, recent): each of them is in the longest span of every event of the batch and in
-- no shorter span, so their number is all a count needs. Also how many it left out; nil
-- when it may not leave any out: the longest span holds `below` members or more with the
-- batch's (`own`), or those from `recent` on `recent_below` or more (below it, detectors
-- ask only counts: detectors/counted.py). A key holding fewer members than both, with the
-- batch's, reads none: no count can reach either, whatever the members' times.
local function counted(key, since, upper, edge, recent, below, recent_below, own)
  local size = redis.call('ZCARD', key) + own
  if size < below and (recent_below < 0 or size < recent_below) then
    return {}, size - own
  end
  local total = redis.call('ZCOUNT', key, '(' .. since, upper)
  if total + own >= below then
    return nil
  end
  local newer = redis.call('ZREVRANGEBYSCORE', key, upper, recent, 'WITHSCORES')
  if recent_below >= 0 and #newer / 2 + own >= recent_below then
    return nil
  end
  local older = redis.call('ZREVRANGEBYSCORE', key, edge, '(' .. since, 'WITHSCORES')
  local left_out = total - #newer / 2 - #older / 2
  for j = 1, #older do
    newer[#newer + 1] = older[j]
  end
  return newer, left_out
end
local current = redis.call('GET', KEYS[1])
local unwritten = current ~= false and current == ARGV[1]
redis.call('SET', KEYS[1], ARGV[2])
local out = {}
local a = 3 -- where the arguments of the key at hand start
for i = 2, #KEYS do
  local key = KEYS[i]
  local since, upper, keep, settled = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  local cap, ttl, oldest = tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5]), ARGV[a + 6]
  local copy, drop, own = tonumber(ARGV[a + 7]), tonumber(ARGV[a + 8]), tonumber(ARGV[a + 9])
  local extra = copy == COUNTED and 4 or 0
  -- The batch's pairs are ARGV[first..last].
  local first, last = a + HEAD + extra, a + HEAD + extra + 2 * own - 1
  local valid = unwritten and copy >= 0 and redis.call('ZCARD', key) == copy
  local held, newest, left_out = nil, nil, 0
  if copy == COUNTED then
    newest, left_out = counted(key, since, upper, ARGV[a + HEAD], ARGV[a + HEAD + 1],
      tonumber(ARGV[a + HEAD + 2]), tonumber(ARGV[a + HEAD + 3]), own)
    left_out = left_out or 0 -- nil when it may leave none out: read whole below
  end
  a = last + 1
  if not valid then
    newest = newest or redis.call('ZREVRANGEBYSCORE', key, upper, '(' .. since, 'WITHSCORES',
      'LIMIT', 0, cap + own)
    -- The batch's own members can only be among them if the newest is not older than the
    -- batch's oldest (a replay, or ties): only then are they looked up.
    local mine = nil
    if own > 0 and #newest > 0 and tonumber(newest[2]) >= tonumber(oldest) then
      mine = {}
      for j = first + 1, last, 2 do mine[ARGV[j]] = true end
    end
    -- Newest first: keep the newest `cap` that are not the batch's, then oldest first, with
    -- scores as integers (epoch milliseconds): the client then has nothing to parse.
    local picked, n = {}, 0
    if mine then
      for j = 1, #newest, 2 do
        if n >= cap then break end
        if not mine[newest[j]] then
          n = n + 1
          picked[n] = j
        end
      end
    else -- the usual batch: the newest `cap` as they are, in one pass
      n = math.min(#newest / 2, cap)
    end
    held = {}
    for k = n, 1, -1 do
      local j = mine and picked[k] or 2 * k - 1
      held[2 * (n - k) + 1] = newest[j]
      held[2 * (n - k) + 2] = tonumber(newest[j + 1])
    end
  end
  -- unpack() has a stack limit: add in chunks of 1,000 pairs.
  for chunk = first, last, 2000 do
    redis.call('ZADD', key, unpack(ARGV, chunk, math.min(chunk + 1999, last)))
  end
  local size = nil -- the key's size after the call, when known without asking again
  if own > 0 then
    if valid then
      if drop > 0 then
        redis.call('ZREMRANGEBYRANK', key, 0, drop - 1)
      end
    else
      -- Usually the key holds only what was just read and added, none of it older than
      -- `keep`, and no more than `cap`: then neither trim removes anything, and one ZCARD
      -- tells so (a visitor's page window, thousands a batch, costs two commands less).
      -- (A replay's members, left out of what was read, are among the batch's own.)
      local total, read, keep_ms = redis.call('ZCARD', key), #held / 2 + left_out, tonumber(keep)
      size = total
      local stale = #held > 0 and held[2] < keep_ms
      if #held == 0 and left_out > 0 then -- a counted key read no member: its oldest tells
        stale = tonumber(redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2]) < keep_ms
      end
      if total ~= read + own or total > cap or tonumber(oldest) < keep_ms or stale then
        size = size - redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. keep)
        local old = redis.call('ZCOUNT', key, '-inf', settled)
        if old > cap then
          size = size - redis.call('ZREMRANGEBYRANK', key, 0, old - cap - 1)
        end
      end
    end
    if copy == NOT_COPIED or copy == COUNTED then
      -- Set again only once REFRESH_MS of it have run out: PTTL stays out of the
      -- append-only file, where a PEXPIREAT per key and batch was a tenth of what it wrote.
      if redis.call('PTTL', key) < ttl - REFRESH_MS then
        redis.call('PEXPIRE', key, ttl)
      end
    elseif not valid or ttl > 0 then
      redis.call('PEXPIRE', key, math.abs(ttl))
    end
  end
  local reply = {}
  if copy == NOT_COPIED then
    reply = held
  elseif copy == COUNTED then
    reply = {left_out, held}
  elseif not valid then
    local front = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    reply = {size or redis.call('ZCARD', key), front[1] or '', tonumber(front[2] or '0'), held}
  end
  out[i - 1] = reply
end
-- Last, whether the shard was the caller's own: if not, its copies of the shard's other
-- keys may be stale, and the mark it leaves now would vouch for them.
out[#KEYS] = unwritten and 1 or 0
return out
