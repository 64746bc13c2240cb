-- Fence preamble: refuse to run the rest of the script unless the writer still holds the lease.
-- KEYS[1] lease key; ARGV[1] the value the holder wrote into it (Fence.Value).
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('LEASELOST fencing check failed: the lease is no longer held by this writer')
end
