-- acquire: take the lease of a task attempt read from the work stream (docs/worker-protocol.md, "Leases and fencing" step 2).
-- KEYS[1] = {prefix}:lease:{task_id}   value "{attempt}|{owner}"
-- ARGV[1] = attempt of the work message, ARGV[2] = worker id, ARGV[3] = lease TTL in milliseconds
-- Returns 'lost'  : no lease (the orchestrator gave up on the attempt)
--         'stale' : the lease is for another attempt (or is not "{attempt}|{owner}")
--         'ok'    : the owner was 'dispatched' or already this worker; the lease is now "{attempt}|{worker}" with the TTL
--         'taken' : another worker holds this attempt (a duplicate delivery)
local value = redis.call('GET', KEYS[1])
if not value then
  return 'lost'
end
local sep = string.find(value, '|', 1, true)
if not sep then
  return 'stale'
end
local attempt = string.sub(value, 1, sep - 1)
local owner = string.sub(value, sep + 1)
if tonumber(attempt) == nil or tonumber(attempt) ~= tonumber(ARGV[1]) then
  return 'stale'
end
if owner == 'dispatched' or owner == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'PX', ARGV[3])
  return 'ok'
end
return 'taken'
