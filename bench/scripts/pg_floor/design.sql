-- One cycle of :b tasks as DESIGN §1 requires them: three row versions (queued, running, succeeded), each with its
-- event in the same transaction. Mirrors the statements of Apex.Postgres (set-based, group-committed).
BEGIN;
WITH ins AS (
    INSERT INTO tasks (id, tenant_id, name, instruction, agent, status, priority, max_attempts, created_at, version)
    SELECT gen_random_uuid(), 'default', 'bench', 'Summarise the quarterly report in three bullet points', 'default', 'queued', 0, 3, clock_timestamp(), 1
    FROM generate_series(1, :b)
    RETURNING id, tenant_id, created_at)
INSERT INTO events (tenant_id, aggregate_type, aggregate_id, version, event_type, data, created_at)
SELECT tenant_id, 'task', id, 1, 'task_created',
    '{"name":"bench","agent":"default","priority":0,"max_attempts":3,"instruction":"Summarise the quarterly report in three bullet points"}', created_at
FROM ins;
COMMIT;
BEGIN;
WITH picked AS (
    SELECT id FROM tasks WHERE status = 'queued' AND (run_at IS NULL OR run_at <= now())
    ORDER BY priority DESC, created_at, id LIMIT :b FOR UPDATE SKIP LOCKED),
claimed AS (
    UPDATE tasks SET status = 'running', attempt = attempt + 1, started_at = now(), run_at = NULL, worker = 'worker-1', version = version + 1
    WHERE id = ANY(ARRAY(SELECT id FROM picked))
    RETURNING id, tenant_id, version, attempt)
INSERT INTO events (tenant_id, aggregate_type, aggregate_id, version, event_type, data, created_at)
SELECT tenant_id, 'task', id, version, 'task_started', json_build_object('attempt', attempt, 'worker', 'worker-1'), now() FROM claimed;
COMMIT;
BEGIN;
WITH picked AS (
    SELECT id, attempt FROM tasks WHERE status = 'running' ORDER BY started_at LIMIT :b FOR UPDATE SKIP LOCKED),
ended AS (
    UPDATE tasks SET status = 'succeeded', output = '[simulated] Key finding: throughput and latency of the durable queue depend on the lease, the retry backoff and the cost of each event; Recommendation: batch the writes, keep the workers busy, watch the budget.', input_tokens = input_tokens + 40, output_tokens = output_tokens + 60,
        cost_nanousd = cost_nanousd + 42000, api_calls = api_calls + 1, finished_at = now(), version = version + 1
    FROM picked WHERE tasks.id = picked.id AND tasks.attempt = picked.attempt
    RETURNING tasks.id, tasks.tenant_id, tasks.version, tasks.attempt)
INSERT INTO events (tenant_id, aggregate_type, aggregate_id, version, event_type, data, created_at)
SELECT tenant_id, 'task', id, version, 'task_completed',
    json_build_object('attempt', attempt, 'output', '[simulated] Key finding: throughput and latency of the durable queue depend on the lease, the retry backoff and the cost of each event; Recommendation: batch the writes, keep the workers busy, watch the budget.', 'input_tokens', 40, 'output_tokens', 60, 'cost_usd', 0.000042, 'api_calls', 1), now()
FROM ended;
COMMIT;
