-- One page of the incidents a filter selects, its exact total and its chart, in one call.
-- KEYS[1]: the `all` index (for routing; every index shares its slot). ARGV: prefix, order
-- (newest | oldest | severity | groups), lowest and highest first_seen_ms ('-inf'/'+inf'),
-- cursor incident id and its score ('' for the first page), page size, chart start ms,
-- bucket ms, bucket count, packed chart series names, then one packed group of index names
-- per filter: an incident must be in one name of every group.
-- Reply: {total, {id, score, ...}, {series counts, bucket by bucket}, {group, count, ...}}.
local prefix, order, lo, hi = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local cursor, cursor_score, limit = ARGV[5], ARGV[6], tonumber(ARGV[7])
local chart_start, bucket, buckets = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local temps = {}
-- Scores stay first_seen_ms (MIN); the arguments go in one table, as unpack() in the middle
-- of a call's arguments gives only its first value.
local function combine(command, dest, keys)
  local args = {dest, #keys}
  for _, key in ipairs(keys) do args[#args + 1] = key end
  args[#args + 1] = 'AGGREGATE'
  args[#args + 1] = 'MIN'
  redis.call(command, unpack(args))
end
local function temp(name)
  local key = prefix .. 'tmp:' .. name
  temps[#temps + 1] = key
  return key
end

local bounded = lo ~= '-inf' or hi ~= '+inf'
local lowest = lo == '-inf' and -math.huge or tonumber(lo)
local highest = hi == '+inf' and math.huge or tonumber(hi)

-- An index cut to the time range first, when the range leaves out most of it: the unions and
-- intersections after it then handle only what can be selected.
local function narrowed(key)
  if not bounded then return key end
  if redis.call('ZCOUNT', key, lo, hi) * 2 >= redis.call('ZCARD', key) then return key end
  local cut = temp('cut' .. #temps)
  redis.call('ZRANGESTORE', cut, key, lo, hi, 'BYSCORE')
  return cut
end

-- The selection, scored by first_seen_ms: the intersection of the groups' unions.
local sets, filtered = {}, {}
for i = 12, #ARGV do
  local keys = {}
  for j, name in ipairs(split(ARGV[i])) do keys[j] = narrowed(prefix .. name) end
  -- A group of one index, or of its per-status twins: the selection lies within that index.
  local bases = {}
  for _, name in ipairs(split(ARGV[i])) do bases[string.gsub(name, '@%a+$', '')] = true end
  local base = next(bases)
  if next(bases, base) == nil then filtered[prefix .. base] = true end
  if #keys == 1 then
    sets[#sets + 1] = keys[1]
  else
    local union = temp('or' .. i)
    combine('ZUNIONSTORE', union, keys)
    sets[#sets + 1] = union
  end
end
local selection = prefix .. 'all'
-- Filtered by one status alone: per-status twins answer counts without intersections.
local only_status = #sets == 1 and string.match(ARGV[12], '^status:(%a+)$')
if #sets == 1 then
  selection = sets[1]
elseif #sets > 1 then
  selection = temp('and')
  combine('ZINTERSTORE', selection, sets)
end

local function within(key)
  if not bounded then return key end
  local kept = temp('within')
  redis.call('ZRANGESTORE', kept, key, lo, hi, 'BYSCORE')
  return kept
end

local function page()
  local ranked, top, bottom = selection, hi, lo
  if order == 'severity' and selection == prefix .. 'all' and not bounded then
    ranked, top, bottom = prefix .. 'by-severity', '+inf', '-inf'
  elseif order == 'severity' then
    ranked = temp('ranked')
    redis.call('ZINTERSTORE', ranked, 2, within(selection), prefix .. 'by-severity', 'WEIGHTS', 0, 1)
    top, bottom = '+inf', '-inf'
  end
  local total = redis.call('ZCOUNT', ranked, bottom, top)
  local rev = order ~= 'oldest'
  local start
  if cursor ~= '' then
    local rank = rev and redis.call('ZREVRANK', ranked, cursor) or redis.call('ZRANK', ranked, cursor)
    -- Gone from the selection since (acknowledged, say): go on from its score.
    if rank then start = rank + 1 elseif rev then
      start = redis.call('ZCOUNT', ranked, '(' .. cursor_score, '+inf')
    else
      start = redis.call('ZCOUNT', ranked, '-inf', '(' .. cursor_score)
    end
  elseif rev then
    start = top == '+inf' and 0 or redis.call('ZCOUNT', ranked, '(' .. top, '+inf')
  else
    start = bottom == '-inf' and 0 or redis.call('ZCOUNT', ranked, '-inf', '(' .. bottom)
  end
  local rows
  if rev then
    rows = redis.call('ZRANGE', ranked, start, start + limit, 'REV', 'WITHSCORES')
  else
    rows = redis.call('ZRANGE', ranked, start, start + limit, 'WITHSCORES')
  end
  local kept = {}
  for i = 1, #rows, 2 do
    local score = tonumber(rows[i + 1])
    if order == 'severity' or (score >= lowest and score <= highest) then
      kept[#kept + 1] = rows[i]
      kept[#kept + 1] = rows[i + 1]
    end
  end
  return total, kept
end

-- Counts per series and time bucket, of the whole selection (not just the page); the time
-- range clamps the buckets. A series' own index answers alone when nothing else is filtered,
-- and the selection is its own series when that series is the filter.
local function chart()
  local counts = {}
  if buckets == 0 then return counts end
  local stop = chart_start + bucket * buckets - 1
  for _, name in ipairs(split(ARGV[11])) do
    local series = prefix .. name
    if filtered[series] then
      series = selection
    elseif only_status then
      series = series .. '@' .. only_status
    elseif selection ~= prefix .. 'all' then
      series = temp('series')
      redis.call('ZINTERSTORE', series, 2, selection, prefix .. name, 'AGGREGATE', 'MIN')
    end
    for b = 0, buckets - 1 do
      local from = math.max(chart_start + b * bucket, lowest)
      local to = math.min(chart_start + (b + 1) * bucket - 1, stop, highest)
      counts[#counts + 1] = from > to and 0 or redis.call('ZCOUNT', series, from, to)
    end
  end
  return counts
end

-- One row per detector: how many selected incidents it raised. Filtered by one status alone,
-- each detector's twin for that status counts them without an intersection.
local function groups()
  local status = only_status
  local shown, found = status and selection or within(selection), {}
  for _, detector in ipairs(redis.call('SMEMBERS', prefix .. 'detectors')) do
    local twin = prefix .. 'detector:' .. detector .. '@' .. tostring(status)
    local count = status and redis.call('ZCOUNT', twin, lo, hi)
      or redis.call('ZINTERCARD', 2, shown, prefix .. 'detector:' .. detector)
    if count > 0 then
      found[#found + 1] = detector
      found[#found + 1] = count
    end
  end
  return found
end

local reply
if order == 'groups' then
  reply = {redis.call('ZCOUNT', selection, lo, hi), {}, chart(), groups()}
else
  local total, rows = page()
  reply = {total, rows, chart(), {}}
end
if #temps > 0 then redis.call('DEL', unpack(temps)) end
return reply
