namespace Apex.Sqlite;

/// <summary>The embedded schema. Index names follow the seed's where they mean the same thing.</summary>
internal static class SqliteSchema
{
    public const int Version = 1;

    public const string Create = """
        CREATE TABLE IF NOT EXISTS schema_info (version INTEGER NOT NULL);

        CREATE TABLE IF NOT EXISTS dags (
            id TEXT PRIMARY KEY,
            tenant_id TEXT NOT NULL,
            name TEXT NOT NULL,
            status TEXT NOT NULL,
            failure_policy TEXT NOT NULL,
            task_count INTEGER NOT NULL,
            tasks_done INTEGER NOT NULL DEFAULT 0,
            limits TEXT NULL,
            metadata TEXT NULL,
            created_at INTEGER NOT NULL,
            finished_at INTEGER NULL,
            version INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS idx_dags_tenant_created ON dags (tenant_id, created_at DESC, id DESC);

        CREATE TABLE IF NOT EXISTS tasks (
            id TEXT PRIMARY KEY,
            tenant_id TEXT NOT NULL,
            dag_id TEXT NULL REFERENCES dags (id),
            key TEXT NULL,
            name TEXT NOT NULL,
            instruction TEXT NOT NULL,
            agent TEXT NOT NULL,
            status TEXT NOT NULL,
            priority INTEGER NOT NULL,
            attempt INTEGER NOT NULL DEFAULT 0,
            max_attempts INTEGER NOT NULL,
            output TEXT NULL,
            error_code TEXT NULL,
            error_message TEXT NULL,
            input_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            cost_nanousd INTEGER NOT NULL DEFAULT 0,
            api_calls INTEGER NOT NULL DEFAULT 0,
            token_limit INTEGER NULL,
            cost_limit TEXT NULL,
            time_limit_seconds INTEGER NULL,
            api_call_limit INTEGER NULL,
            metadata TEXT NULL,
            created_at INTEGER NOT NULL,
            run_at INTEGER NULL,
            started_at INTEGER NULL,
            finished_at INTEGER NULL,
            worker TEXT NULL,
            version INTEGER NOT NULL,
            output_schema TEXT NULL,
            traceparent TEXT NULL,
            tracestate TEXT NULL
        );
        CREATE INDEX IF NOT EXISTS idx_tasks_dag_status ON tasks (dag_id, status);
        CREATE INDEX IF NOT EXISTS idx_tasks_agent_id ON tasks (tenant_id, agent);
        CREATE INDEX IF NOT EXISTS idx_tasks_created ON tasks (tenant_id, created_at DESC, id DESC);
        CREATE INDEX IF NOT EXISTS idx_tasks_pending ON tasks (priority DESC, created_at) WHERE status = 'pending';
        CREATE INDEX IF NOT EXISTS idx_tasks_queued ON tasks (priority DESC, created_at) WHERE status = 'queued';
        CREATE INDEX IF NOT EXISTS idx_tasks_running ON tasks (started_at) WHERE status = 'running';

        CREATE TABLE IF NOT EXISTS task_edges (
            tenant_id TEXT NOT NULL,
            dag_id TEXT NOT NULL,
            from_id TEXT NOT NULL,
            to_id TEXT NOT NULL,
            PRIMARY KEY (from_id, to_id)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS idx_task_edges_to ON task_edges (to_id, from_id);
        CREATE INDEX IF NOT EXISTS idx_task_edges_dag ON task_edges (dag_id);

        CREATE TABLE IF NOT EXISTS events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            tenant_id TEXT NOT NULL,
            aggregate_type TEXT NOT NULL,
            aggregate_id TEXT NOT NULL,
            dag_id TEXT NULL,
            version INTEGER NOT NULL,
            event_type TEXT NOT NULL,
            data TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE UNIQUE INDEX IF NOT EXISTS idx_events_aggregate ON events (aggregate_type, aggregate_id, version);
        CREATE INDEX IF NOT EXISTS idx_events_dag ON events (dag_id, seq) WHERE dag_id IS NOT NULL;
        CREATE INDEX IF NOT EXISTS idx_events_created ON events (created_at DESC);

        CREATE TABLE IF NOT EXISTS agents (
            id TEXT PRIMARY KEY,
            tenant_id TEXT NOT NULL,
            name TEXT NOT NULL,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            system_prompt TEXT NULL,
            max_concurrency INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            settings TEXT NULL
        );
        CREATE UNIQUE INDEX IF NOT EXISTS idx_agents_tenant_name ON agents (tenant_id, name);

        -- What each attempt spent per model, for the usage API (written with the attempt's result).
        CREATE TABLE IF NOT EXISTS llm_usage (
            tenant_id TEXT NOT NULL,
            task_id TEXT NOT NULL,
            dag_id TEXT NULL,
            agent TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cost_nanousd INTEGER NOT NULL,
            api_calls INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            cascade_step INTEGER NULL,
            cascade_outcome TEXT NULL,
            cascade_reason TEXT NULL,
            top_cost_nanousd INTEGER NULL
        );
        CREATE INDEX IF NOT EXISTS idx_llm_usage_tenant_created ON llm_usage (tenant_id, created_at);

        -- Human approvals an attempt stopped for (docs/architecture.md, "Approvals"). Written with the task's transition.
        CREATE TABLE IF NOT EXISTS approvals (
            id TEXT PRIMARY KEY,
            tenant_id TEXT NOT NULL,
            task_id TEXT NOT NULL,
            dag_id TEXT NULL,
            attempt INTEGER NOT NULL,
            action TEXT NOT NULL,
            tool TEXT NOT NULL,
            args_hash TEXT NOT NULL,
            risk TEXT NOT NULL,
            summary TEXT NOT NULL,
            status TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            decided_at INTEGER NULL,
            decided_by TEXT NULL,
            reason TEXT NULL,
            version INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS idx_approvals_tenant_created ON approvals (tenant_id, created_at DESC, id DESC);
        CREATE INDEX IF NOT EXISTS idx_approvals_task ON approvals (task_id, status);
        CREATE INDEX IF NOT EXISTS idx_approvals_expiry ON approvals (expires_at) WHERE status = 'pending';

        -- API keys: the secret's hash only; found by prefix on every authenticated request (through a cache).
        CREATE TABLE IF NOT EXISTS api_keys (
            id TEXT PRIMARY KEY,
            tenant_id TEXT NOT NULL,
            prefix TEXT NOT NULL,
            hash BLOB NOT NULL,
            name TEXT NOT NULL,
            roles TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NULL,
            revoked_at INTEGER NULL,
            last_used_at INTEGER NULL
        );
        CREATE UNIQUE INDEX IF NOT EXISTS idx_api_keys_prefix ON api_keys (prefix);
        CREATE INDEX IF NOT EXISTS idx_api_keys_tenant_created ON api_keys (tenant_id, created_at DESC, id DESC);

        -- The audit log: one global hash chain, seq from 1 without gaps (docs/audit.md). Rows are never changed: the
        -- triggers refuse UPDATE and DELETE, and the chain check catches what gets past them.
        CREATE TABLE IF NOT EXISTS audit_log (
            seq INTEGER PRIMARY KEY,
            occurred_at INTEGER NOT NULL,
            tenant_id TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            outcome TEXT NOT NULL,
            detail TEXT NULL,
            trace_id TEXT NULL,
            client_address TEXT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS idx_audit_log_tenant_seq ON audit_log (tenant_id, seq DESC);
        CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN
            SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused');
        END;
        CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN
            SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused');
        END;
        -- Tenants' state and quota overrides (null: the default; 0: unlimited); a tenant without a row is active.
        CREATE TABLE IF NOT EXISTS tenants (
            tenant_id TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            requests_per_second REAL NULL,
            request_burst INTEGER NULL,
            queued_tasks INTEGER NULL,
            concurrent_runs INTEGER NULL,
            cost_per_day_nanousd INTEGER NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE IF NOT EXISTS idempotency_keys (
            tenant_id TEXT NOT NULL,
            key TEXT NOT NULL,
            kind TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            result TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, key)
        ) WITHOUT ROWID;
        """;
}
