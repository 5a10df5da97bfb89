-- The shape of a bare prototype: a task inserted queued and updated once to its end, in a table with no index but
-- the primary key and the queued one; no events. Not Apex; a reference for what the seed's schema and DESIGN §1 cost.
BEGIN;
INSERT INTO bare_tasks (id, status, instruction, created_at)
SELECT gen_random_uuid(), 'queued', 'Summarise the quarterly report in three bullet points', clock_timestamp()
FROM generate_series(1, :b);
COMMIT;
BEGIN;
WITH picked AS (
    SELECT id FROM bare_tasks WHERE status = 'queued' ORDER BY created_at LIMIT :b FOR UPDATE SKIP LOCKED)
UPDATE bare_tasks SET status = 'succeeded', output = '[simulated] Key finding: throughput and latency of the durable queue depend on the lease, the retry backoff and the cost of each event; Recommendation: batch the writes, keep the workers busy, watch the budget.', finished_at = now()
FROM picked WHERE bare_tasks.id = picked.id;
COMMIT;
