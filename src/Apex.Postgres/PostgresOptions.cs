namespace Apex.Postgres;

/// <summary>
/// The distributed store (configuration section <c>Apex:Postgres</c>). The server is found through
/// <c>ConnectionStrings:Postgres</c>; the pool settings below override the same keys of that connection string.
/// </summary>
public sealed class PostgresOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:Postgres";

    /// <summary>
    /// Connections kept open even when idle (default 5: the seed's sizing table keeps five warm at every size).
    /// </summary>
    public int MinPoolSize { get; set; } = 5;

    /// <summary>
    /// Most connections this process opens (default 20, the seed's figure for large deployments). Multiply by the
    /// number of API servers and keep the sum under the server's <c>max_connections</c>, or put PgBouncer in front.
    /// </summary>
    public int MaxPoolSize { get; set; } = 20;

    /// <summary>How long to wait to open a connection or get one from a full pool before failing with 503 (default 5 s).</summary>
    public TimeSpan ConnectionTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a statement may run before it is cancelled and the request fails with 503 (default 30 s).</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Idle connections above <see cref="MinPoolSize"/> are closed after this long (default 10 min).</summary>
    public TimeSpan ConnectionIdleLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Connections are replaced after this long, so server-side memory and failovers are picked up (default 30 min).</summary>
    public TimeSpan ConnectionLifetime { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Statements each connection prepares automatically once used twice (default 128; 0 turns it off).</summary>
    public int MaxAutoPrepare { get; set; } = 128;

    /// <summary>
    /// Whether group commits that touch DAG rows plan their statements for their arguments (<c>SET LOCAL plan_cache_mode =
    /// force_custom_plan</c>, default true). A prepared statement's generic plan is costed once, often while the tables
    /// are young and small, and kept until the next ANALYZE: a sequential scan chosen over a few pages of <c>dags</c>
    /// then runs against the grown table. Groups of standalone tasks keep their cached plans (planning each time cost
    /// them 3–10 % of their throughput, measured).
    /// </summary>
    public bool WriterCustomPlans { get; set; } = true;

    /// <summary>Most writes coalesced into one transaction by the group commit (default 512).</summary>
    public int MaxBatch { get; set; } = 512;

    /// <summary>
    /// Group commits run at once, each on its own connection (default 2, at most 16, fewer than MaxPoolSize): one group's
    /// statements overlap another's commit. Writers of one process are ordered and retried exactly like the writers of several servers.
    /// </summary>
    public int Writers { get; set; } = 2;

    /// <summary>Writes that may wait for the writer before submitters are pushed back with 503 (default 20,000).</summary>
    public int MaxPendingWrites { get; set; } = 20_000;

    /// <summary>How long a write may wait for room in the writer's queue before the caller gets 503 (default 30 s).</summary>
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many times a group whose transaction lost a deadlock or a serialization race (another server held the
    /// same rows) is run again before its writes fail with 503 (default 3).
    /// </summary>
    public int TransientRetries { get; set; } = 3;

    /// <summary>
    /// On a young database, the hot tables (<c>tasks</c>, <c>events</c>, <c>dags</c>, <c>task_edges</c>,
    /// <c>llm_usage</c>) are analyzed by the server each time they have changed by half their rows, and at least by
    /// this many, until autovacuum has analyzed each once: the plans cached on their first few rows are made again
    /// (default 1,000; 0 leaves it to autovacuum).
    /// </summary>
    public int YoungTableAnalyzeRows { get; set; } = 1_000;

    /// <summary>How often the young tables' statistics are checked (default 2 s).</summary>
    public TimeSpan YoungTableCheckInterval { get; set; } = TimeSpan.FromSeconds(2);
}
