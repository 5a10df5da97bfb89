-- The lower bound of any durable queue on this table: a task is inserted queued and updated once to its end (no
-- running row version, no events). Not our design; it shows what the prototype's shape costs on the same schema.
BEGIN;
INSERT INTO tasks (id, tenant_id, name, instruction, agent, status, priority, max_attempts, created_at, version)
SELECT gen_random_uuid(), 'default', 'bench', 'Summarise the quarterly report in three bullet points', 'default', 'queued', 0, 3, clock_timestamp(), 1
FROM generate_series(1, :b);
COMMIT;
BEGIN;
WITH picked AS (
    SELECT id FROM tasks WHERE status = 'queued' ORDER BY priority DESC, created_at, id LIMIT :b FOR UPDATE SKIP LOCKED)
UPDATE tasks SET status = 'succeeded', attempt = 1, started_at = now(), output = '[simulated] Key finding: throughput and latency of the durable queue depend on the lease, the retry backoff and the cost of each event; Recommendation: batch the writes, keep the workers busy, watch the budget.', input_tokens = 40, output_tokens = 60,
    cost_nanousd = 42000, api_calls = 1, finished_at = now(), version = 2
FROM picked WHERE tasks.id = picked.id;
COMMIT;
