-- Give leases back, each only if this holder still has it.
-- KEYS[i] lease keys (one hash slot on Cluster); ARGV[i] the value this holder wrote into KEYS[i].
-- Returns one status per key: 1 released, 0 not ours (expired or taken).
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i] then
    redis.call('DEL', key)
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
