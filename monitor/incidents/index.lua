-- index_incident(prefix, id, score, status, severity, rank, fixed, added): file incident `id`
-- in the sorted sets the dashboard filters on, all scored by its first_seen_ms (`score`):
-- `all`, `status:<s>`, `severity:<s>`, `by-severity` (rank then time), and the names its
-- fields give (family:, detector:, entity:, word:). `fixed` replaces the title's words (nil
-- keeps them: the title only changes when the severity rises); `added` (customers) only
-- grows. The names an incident is filed under are kept in the `names` hash, so a title
-- change or a rebuild removes what no longer holds. The family, detector and severity sets
-- have a twin per status (`family:intrusion@open`): the commonest views ("open intrusion",
-- open incidents per detector) then read one set instead of intersecting two large ones.
local INDEX_STATUSES = {'open', 'acknowledged', 'resolved'}
local INDEX_SEVERITIES = {'low', 'medium', 'high', 'critical'}

local function index_incident(prefix, id, score, status, severity, rank, fixed, added)
  score = tostring(score)
  redis.call('ZADD', prefix .. 'all', score, id)
  redis.call('ZADD', prefix .. 'by-severity', tostring(rank) .. string.rep('0', 13 - #score) .. score, id)
  for _, s in ipairs(INDEX_STATUSES) do
    if s ~= status then redis.call('ZREM', prefix .. 'status:' .. s, id) end
  end
  redis.call('ZADD', prefix .. 'status:' .. status, score, id)
  for _, s in ipairs(INDEX_SEVERITIES) do
    if s ~= severity then redis.call('ZREM', prefix .. 'severity:' .. s, id) end
  end
  redis.call('ZADD', prefix .. 'severity:' .. severity, score, id)
  local old = redis.call('HGET', prefix .. 'names', id)
  local names, keep = {}, {}
  if old then
    for _, name in ipairs(split(old)) do
      if fixed == nil or string.sub(name, 1, 5) ~= 'word:' then keep[name] = true end
    end
  end
  for _, name in ipairs(fixed or {}) do keep[name] = true end
  for _, name in ipairs(added) do keep[name] = true end
  if old then
    for _, name in ipairs(split(old)) do
      if not keep[name] then redis.call('ZREM', prefix .. name, id) end
    end
  end
  for name in pairs(keep) do
    if name ~= '' then
      redis.call('ZADD', prefix .. name, score, id)
      names[#names + 1] = name
      if string.sub(name, 1, 9) == 'detector:' then
        redis.call('SADD', prefix .. 'detectors', string.sub(name, 10))
      end
    end
  end
  table.sort(names)
  redis.call('HSET', prefix .. 'names', id, table.concat(names, '\30'))
  local twinned = {'severity:' .. severity}
  for _, name in ipairs(names) do
    if string.find(name, '^family:') or string.find(name, '^detector:') then
      twinned[#twinned + 1] = name
    end
  end
  for _, s in ipairs(INDEX_SEVERITIES) do
    if s ~= severity then twinned[#twinned + 1] = '-severity:' .. s end
  end
  for _, name in ipairs(twinned) do
    local gone = string.sub(name, 1, 1) == '-'
    if gone then name = string.sub(name, 2) end
    for _, s in ipairs(INDEX_STATUSES) do
      if s == status and not gone then
        redis.call('ZADD', prefix .. name .. '@' .. s, score, id)
      else
        redis.call('ZREM', prefix .. name .. '@' .. s, id)
      end
    end
  end
end
