-- Extend every lease this holder still has, in one atomic step.
-- KEYS[i] lease keys (one hash slot on Cluster).
-- ARGV[1] ttl in milliseconds; ARGV[i+1] the value this holder wrote into KEYS[i].
-- Returns one status per key: 1 renewed, 0 gone (expired), -1 held by someone else.
local out = {}
for i, key in ipairs(KEYS) do
  local cur = redis.call('GET', key)
  if cur == ARGV[i + 1] then
    redis.call('PEXPIRE', key, ARGV[1])
    out[i] = 1
  elseif cur then
    out[i] = -1
  else
    out[i] = 0
  end
end
return out
