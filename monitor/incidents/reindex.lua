-- File one incident in the indexes from its fields as read (a rebuild, or on a cluster,
-- where the incident and the indexes live in different slots).
-- KEYS[1]: the `all` index (for routing). ARGV: prefix, id, first_seen_ms, status, severity,
-- rank, the packed names of its family, detector, entities and title words, the packed
-- customer names ('' for none).
local added = {}
if ARGV[8] ~= '' then added = split(ARGV[8]) end
index_incident(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], split(ARGV[7]), added)
return 1
