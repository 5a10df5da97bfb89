-- release: mark a lease done once the result is posted (docs/worker-protocol.md, "Leases and fencing" step 4).
-- KEYS[1] = {prefix}:lease:{task_id}
-- ARGV[1] = attempt, ARGV[2] = worker id, ARGV[3] = TTL of the done lease in ms (the dispatch TTL)
-- The lease becomes "{attempt}|done" for the dispatch TTL (the orchestrator drops it once the result is applied), so a
-- sweep between the result's XADD and its application, however long the results stream's backlog, never mistakes the
-- finished attempt for a dead one.
-- Returns 1 if the lease was still "{attempt}|{worker}", else 0 (someone else's: left alone).
if redis.call('GET', KEYS[1]) == ARGV[1] .. '|' .. ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[1] .. '|done', 'PX', ARGV[3])
  return 1
end
return 0
