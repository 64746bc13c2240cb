-- Take a free lease and hand out the next fencing token, atomically.
-- KEYS[1] lease key; KEYS[2] its fencing counter (same hash slot).
-- ARGV[1] holder id; ARGV[2] ttl in milliseconds.
-- Returns the new token, or 0 when someone holds the lease.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '#' .. token, 'NX', 'PX', ARGV[2])
return token
