-- extend: heartbeat of a held lease (docs/worker-protocol.md, "Leases and fencing" step 3).
-- KEYS[1] = {prefix}:lease:{task_id}
-- ARGV[1] = attempt, ARGV[2] = worker id, ARGV[3] = lease TTL in milliseconds
-- Returns 1 if the value is still "{attempt}|{worker}" and its TTL was reset, else 0 (the attempt is lost).
if redis.call('GET', KEYS[1]) == ARGV[1] .. '|' .. ARGV[2] then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0
