-- Append one entry to a breach record if the chain head is still the one the entry links to.
-- KEYS[1]: the record list; KEYS[2]: the head (hash of the last entry); KEYS[3]: the count.
-- ARGV: expected head ('' for the first entry), entry json, its hash, retention ms.
local head = redis.call('GET', KEYS[2]) or ''
if head ~= ARGV[1] then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[3])
redis.call('INCR', KEYS[3])
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[4]) end
return 1
