-- split(text): the parts of one packed script argument, separated by \30 (record separator).
-- Prepended to the scripts that take one packed argument per key (see lua_script).
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
