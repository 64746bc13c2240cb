-- Give back one relay's cost, never below zero, keeping the key's TTL.
-- KEYS[1]  the meter key   ARGV[1] relayCost (upokt)
-- Returns the consumption after the refund; a missing (expired) key stays missing.
-- Amounts go to Redis as the strings they arrived as (Lua would print large numbers as 1e+15).
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
if tonumber(v) < tonumber(ARGV[1]) then
  return redis.call('DECRBY', KEYS[1], v)
end
return redis.call('DECRBY', KEYS[1], ARGV[1])
