namespace Apex.Postgres;

/// <summary>
/// The schema, as an ordered list of migrations. A migration is never edited once released: add the next one.
/// Index names follow the seed's where they mean the same thing.
/// </summary>
internal static class PostgresMigrations
{
    /// <summary>Key of the transaction advisory lock that serialises migrations between servers starting together.</summary>
    public const long MigrationLock = 0x41504558_00000001; // "APEX" + 1

    /// <summary>
    /// Key of the transaction advisory lock taken just before a transaction appends events: events then commit in
    /// <c>seq</c> order, so a reader resuming after a <c>seq</c> never misses an event that commits later.
    /// </summary>
    public const long EventAppendLock = 0x41504558_00000002;

    /// <summary>
    /// Key of the transaction advisory lock an audit append holds while it reads the chain's last entry and inserts after
    /// it, so appends of several servers extend the chain one after the other (the low word is the migration's number).
    /// </summary>
    public const long AuditAppendLock = 0x41504558_0000000A;

    /// <summary>
    /// Key of the transaction advisory lock a capped claim holds while it counts each tenant's running tasks and claims
    /// within the caps: claims of several dispatchers then never exceed a tenant's concurrent-runs quota together. Taken
    /// only while some tenant is capped.
    /// </summary>
    public const long CappedClaimLock = 0x41504558_0000000B;

    public const string CreateMigrationsTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer PRIMARY KEY,
            name text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """;

    public static IReadOnlyList<(int Version, string Name, string Sql)> All { get; } =
    [
        (1, "initial", Initial),
        (2, "queue_table_maintenance", QueueTableMaintenance),
        (3, "llm_usage", LlmUsage),
        (4, "approvals", Approvals),
        (5, "agent_settings", AgentSettings),
        (6, "llm_usage_cascade", LlmUsageCascade),
        (7, "task_output_schema", TaskOutputSchema),
        (8, "task_trace_context", TaskTraceContext),
        (9, "api_keys", ApiKeys),
        (10, "audit_log", AuditLog),
        (11, "tenants", Tenants),
        (12, "writer_row_checks", WriterRowChecks),
    ];

    /// <summary>
    /// The row-count check of the group commit's set-based updates, run in the server so that the commit can ride in the
    /// same round trip as the last of them: it raises <c>AX001</c> (the group is then split, each write run alone) unless
    /// the update changed the rows the group expected; it returns false, so the checked statement returns no row.
    /// </summary>
    private const string WriterRowChecks = """
        CREATE FUNCTION apex_expect_rows(changed bigint, expected integer, what text) RETURNS boolean
        LANGUAGE plpgsql AS $$
        BEGIN
            IF changed <> expected THEN
                RAISE EXCEPTION '%: % expected, % row(s) changed', what, expected, changed USING ERRCODE = 'AX001';
            END IF;
            RETURN false;
        END
        $$
        """;

    /// <summary>
    /// The audit log: one global hash chain, seq from 1 without gaps (given under <see cref="AuditAppendLock"/>, not by a
    /// sequence, so a rolled-back append leaves no hole). Rows are never changed: the triggers refuse UPDATE, DELETE and
    /// TRUNCATE, and the chain check catches what gets past them.
    /// </summary>
    private const string AuditLog = """
        CREATE TABLE audit_log (
            seq bigint PRIMARY KEY,
            occurred_at timestamptz NOT NULL,
            tenant_id text NOT NULL,
            actor text NOT NULL,
            action text NOT NULL,
            target text NOT NULL,
            outcome text NOT NULL,
            detail text NULL,
            trace_id text NULL,
            client_address text NULL,
            prev_hash text NOT NULL,
            hash text NOT NULL
        );
        CREATE INDEX idx_audit_log_tenant_seq ON audit_log (tenant_id, seq DESC);
        CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
        END
        $$;
        CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
        CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
        """;

    /// <summary>
    /// Tenants' state and quota overrides: a tenant without a row is active with the default quotas (null column: the
    /// default; 0: unlimited). Small (one row per tenant that was ever changed), read whole by every server.
    /// </summary>
    private const string Tenants = """
        CREATE TABLE tenants (
            tenant_id text PRIMARY KEY,
            state text NOT NULL,
            requests_per_second double precision NULL,
            request_burst integer NULL,
            queued_tasks integer NULL,
            concurrent_runs integer NULL,
            cost_per_day_nanousd bigint NULL,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        );
        """;

    /// <summary>
    /// The W3C trace context of a task's submission, so its attempts (in any process, at any later time) join its trace;
    /// null when nobody traced the submission.
    /// </summary>
    private const string TaskTraceContext = "ALTER TABLE tasks ADD COLUMN traceparent text NULL, ADD COLUMN tracestate text NULL;";

    /// <summary>API keys: the secret's hash only; found by prefix on every authenticated request (through a cache).</summary>
    private const string ApiKeys = """
        CREATE TABLE api_keys (
            id uuid PRIMARY KEY,
            tenant_id text NOT NULL,
            prefix text NOT NULL,
            hash bytea NOT NULL,
            name text NOT NULL,
            roles text NOT NULL,
            created_at timestamptz NOT NULL,
            expires_at timestamptz NULL,
            revoked_at timestamptz NULL,
            last_used_at timestamptz NULL
        );
        CREATE UNIQUE INDEX idx_api_keys_prefix ON api_keys (prefix);
        CREATE INDEX idx_api_keys_tenant_created ON api_keys (tenant_id, created_at DESC, id DESC);
        """;

    /// <summary>A task's own JSON Schema for its output (null for almost every task: no cost to the others).</summary>
    private const string TaskOutputSchema = "ALTER TABLE tasks ADD COLUMN output_schema text NULL;";

    /// <summary>
    /// A usage line of a cascade step says what the router decided; the final step also carries what the cascade's
    /// strongest model would have charged for the same tokens (the baseline of routing savings).
    /// </summary>
    private const string LlmUsageCascade = """
        ALTER TABLE llm_usage ADD COLUMN cascade_step integer NULL, ADD COLUMN cascade_outcome text NULL,
            ADD COLUMN cascade_reason text NULL, ADD COLUMN top_cost_nanousd bigint NULL;
        """;

    /// <summary>An agent's cascade and tools, as JSON (null: none).</summary>
    private const string AgentSettings = "ALTER TABLE agents ADD COLUMN settings json NULL;";

    /// <summary>Human approvals an attempt stopped for; written in the transaction of the task's transition.</summary>
    private const string Approvals = """
        CREATE TABLE approvals (
            id uuid PRIMARY KEY,
            tenant_id text NOT NULL,
            task_id uuid NOT NULL,
            dag_id uuid NULL,
            attempt integer NOT NULL,
            action text NOT NULL,
            tool text NOT NULL,
            args_hash text NOT NULL,
            risk text NOT NULL,
            summary text NOT NULL,
            status text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'used', 'cancelled')),
            created_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL,
            decided_at timestamptz NULL,
            decided_by text NULL,
            reason text NULL,
            version integer NOT NULL
        );
        CREATE INDEX idx_approvals_tenant_created ON approvals (tenant_id, created_at DESC, id DESC);
        CREATE INDEX idx_approvals_task ON approvals (task_id, status);
        CREATE INDEX idx_approvals_expiry ON approvals (expires_at) WHERE status = 'pending';
        """;

    /// <summary>What each attempt spent per model, for the usage API; written with the attempt's result.</summary>
    private const string LlmUsage = """
        CREATE TABLE llm_usage (
            tenant_id text NOT NULL,
            task_id uuid NOT NULL,
            dag_id uuid NULL,
            agent text NOT NULL,
            attempt integer NOT NULL,
            provider text NOT NULL,
            model text NOT NULL,
            input_tokens bigint NOT NULL,
            output_tokens bigint NOT NULL,
            cost_nanousd bigint NOT NULL,
            api_calls integer NOT NULL,
            created_at timestamptz NOT NULL
        );
        CREATE INDEX idx_llm_usage_tenant_created ON llm_usage (tenant_id, created_at);
        """;

    /// <summary>
    /// Tasks are a queue table: every task is inserted, updated twice and finished within seconds, so dead row versions
    /// and stale statistics pile up far faster than the default autovacuum thresholds (20 % of the table) notice. Vacuum
    /// and analyse after 1 % (plus a fixed floor) instead, and keep room on each page for the next version of a row.
    /// </summary>
    private const string QueueTableMaintenance = """
        ALTER TABLE tasks SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 5000,
            autovacuum_analyze_scale_factor = 0.01, autovacuum_analyze_threshold = 5000, autovacuum_vacuum_cost_delay = 0,
            fillfactor = 90);
        ALTER TABLE events SET (autovacuum_vacuum_insert_scale_factor = 0.05, autovacuum_analyze_scale_factor = 0.02);
        """;

    private const string Initial = """
        CREATE TABLE dags (
            id uuid PRIMARY KEY,
            tenant_id text NOT NULL,
            name text NOT NULL,
            status text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
            failure_policy text NOT NULL CHECK (failure_policy IN ('fail_fast', 'continue')),
            task_count integer NOT NULL,
            tasks_done integer NOT NULL DEFAULT 0,
            limits jsonb NULL,
            metadata jsonb NULL,
            created_at timestamptz NOT NULL,
            finished_at timestamptz NULL,
            version integer NOT NULL
        );
        CREATE INDEX idx_dags_tenant_created ON dags (tenant_id, created_at DESC, id DESC);

        CREATE TABLE tasks (
            id uuid PRIMARY KEY,
            tenant_id text NOT NULL,
            dag_id uuid NULL REFERENCES dags (id),
            dag_position integer NULL,
            key text NULL,
            name text NOT NULL,
            instruction text NOT NULL,
            agent text NOT NULL,
            status text NOT NULL CHECK (status IN ('pending', 'queued', 'running', 'awaiting_approval', 'succeeded', 'failed', 'cancelled', 'skipped')),
            priority integer NOT NULL,
            attempt integer NOT NULL DEFAULT 0,
            max_attempts integer NOT NULL,
            output text NULL,
            error_code text NULL,
            error_message text NULL,
            input_tokens bigint NOT NULL DEFAULT 0,
            output_tokens bigint NOT NULL DEFAULT 0,
            cost_nanousd bigint NOT NULL DEFAULT 0,
            api_calls integer NOT NULL DEFAULT 0,
            token_limit bigint NULL,
            cost_limit numeric NULL,
            time_limit_seconds integer NULL,
            api_call_limit integer NULL,
            metadata jsonb NULL,
            created_at timestamptz NOT NULL,
            run_at timestamptz NULL,
            started_at timestamptz NULL,
            finished_at timestamptz NULL,
            worker text NULL,
            version integer NOT NULL
        );
        -- idx_tasks_dag_id doubles as the node order of a DAG. Standalone tasks (most rows) stay out of the DAG indexes.
        CREATE INDEX idx_tasks_dag_id ON tasks (dag_id, dag_position) WHERE dag_id IS NOT NULL;
        CREATE INDEX idx_tasks_dag_status ON tasks (dag_id, status) WHERE dag_id IS NOT NULL;
        -- Serves both an agent's usage and the listing of its tasks, newest first.
        CREATE INDEX idx_tasks_agent_id ON tasks (tenant_id, agent, created_at DESC, id DESC);
        CREATE INDEX idx_tasks_created ON tasks (tenant_id, created_at DESC, id DESC);
        CREATE INDEX idx_tasks_pending ON tasks (priority DESC, created_at) WHERE status = 'pending';
        -- The dispatch index: ClaimNext walks it in order and reads run_at from it.
        CREATE INDEX idx_tasks_queued ON tasks (priority DESC, created_at, id) INCLUDE (run_at) WHERE status = 'queued';
        CREATE INDEX idx_tasks_running ON tasks (started_at) WHERE status = 'running';

        CREATE TABLE task_edges (
            tenant_id text NOT NULL,
            dag_id uuid NOT NULL,
            from_id uuid NOT NULL,
            to_id uuid NOT NULL,
            PRIMARY KEY (from_id, to_id)
        );
        CREATE INDEX idx_task_edges_to ON task_edges (to_id, from_id);
        CREATE INDEX idx_task_edges_dag ON task_edges (dag_id);

        CREATE TABLE events (
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            tenant_id text NOT NULL,
            aggregate_type text NOT NULL,
            aggregate_id uuid NOT NULL,
            dag_id uuid NULL,
            version integer NOT NULL,
            event_type text NOT NULL,
            -- json, not jsonb: the payload is returned exactly as it was written.
            data json NOT NULL,
            created_at timestamptz NOT NULL,
            CONSTRAINT idx_events_aggregate UNIQUE (aggregate_type, aggregate_id, version)
        );
        CREATE INDEX idx_events_dag ON events (dag_id, seq) WHERE dag_id IS NOT NULL;
        CREATE INDEX idx_events_created ON events (created_at DESC);

        CREATE TABLE agents (
            id uuid PRIMARY KEY,
            tenant_id text NOT NULL,
            name text NOT NULL,
            provider text NOT NULL,
            model text NOT NULL,
            system_prompt text NULL,
            max_concurrency integer NOT NULL,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            CONSTRAINT idx_agents_tenant_name UNIQUE (tenant_id, name)
        );

        CREATE TABLE idempotency_keys (
            tenant_id text NOT NULL,
            key text NOT NULL,
            kind text NOT NULL,
            request_hash text NOT NULL,
            result text NOT NULL,
            created_at timestamptz NOT NULL,
            PRIMARY KEY (tenant_id, key)
        );
        """;
}
