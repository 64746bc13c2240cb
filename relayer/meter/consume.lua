-- Check-and-consume one relay's cost against one (supplier, session) budget, atomically.
-- KEYS[1]  the meter key, Keys.Meter(operator, sessionID): an integer string, upokt consumed
-- ARGV[1]  maxCoin (upokt)   ARGV[2] relayCost (upokt)   ARGV[3] TTL in milliseconds
-- Returns {1, consumed} when the cost fit and was added, {0, consumed} when it did not.
-- The TTL is set when the key is created and never extended.
local v = redis.call('GET', KEYS[1])
local consumed = 0
if v then consumed = tonumber(v) end
local max = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
if consumed + cost > max then
  return {0, consumed}
end
if v then
  redis.call('INCRBY', KEYS[1], cost)
else
  redis.call('SET', KEYS[1], cost, 'PX', ARGV[3])
end
return {1, consumed + cost}
