-- Check-and-consume one relay's cost against one (supplier, session) budget, atomically.
-- KEYS[1]  the meter key, Keys.Meter(operator, sessionID): an integer string, upokt consumed
-- ARGV[1]  maxCoin (upokt)   ARGV[2] relayCost (upokt)   ARGV[3] TTL in milliseconds
-- Returns {1, consumed} when the cost fit and was added, {0, consumed} when it did not.
-- The TTL is set when the key is created and raised (never lowered) by every later call, so
-- a session that keeps being served keeps its budget however slowly blocks come.
local v = redis.call('GET', KEYS[1])
local consumed = 0
if v then consumed = tonumber(v) end
local max = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
if v and redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
if consumed + cost > max then
  return {0, consumed}
end
if v then
  redis.call('INCRBY', KEYS[1], cost)
else
  redis.call('SET', KEYS[1], cost, 'PX', ttl)
end
return {1, consumed + cost}
