-- count_past(mark, list, first, last): how many of the count marks list[first..last]
-- (monitor.events.count_mark) are past `mark`, the newest an incident counted, and the
-- newest of them (or `mark`). An event is counted once however many findings show it (a
-- threshold crossing, then the attempts after it). A '|' ends the marks of one finding of
-- a fold: the next are counted as if that finding had been applied alone before them, so
-- a batch counts what one finding at a time would.
local function count_past(mark, list, first, last)
  local added, newest = 0, mark
  for i = first, last do
    if list[i] == '|' then
      mark = newest
    elseif list[i] > mark then
      added = added + 1
      if list[i] > newest then newest = list[i] end
    end
  end
  return added, newest
end

-- count_new(incident, list, first, last): count_past against the incident's stored mark,
-- which moves to the newest counted.
local function count_new(incident, list, first, last)
  local stored = redis.call('HGET', incident, 'counted_mark')
  local added, newest = count_past(stored or '', list, first, last)
  if newest ~= stored then
    redis.call('HSET', incident, 'counted_mark', newest)
  end
  return added
end
