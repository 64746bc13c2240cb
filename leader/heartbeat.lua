-- Record (or withdraw) one replica's heartbeat and list the live replicas. Scores are the Redis
-- server's clock in milliseconds, so replicas with skewed clocks still agree on who is live.
-- KEYS[1] replica sorted set.
-- ARGV[1] replica id; ARGV[2] liveness window in milliseconds; ARGV[3] "1" to beat, "0" to leave.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - window))
if ARGV[3] == '1' then
  redis.call('ZADD', KEYS[1], now, ARGV[1])
else
  redis.call('ZREM', KEYS[1], ARGV[1])
end
redis.call('PEXPIRE', KEYS[1], window * 10)
return redis.call('ZRANGE', KEYS[1], 0, -1)
