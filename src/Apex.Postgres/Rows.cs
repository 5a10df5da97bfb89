using System.Text.Json;
using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Core.Agents;
using Apex.Core.Approvals;
using Apex.Core.Dags;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tasks;
using Npgsql;

namespace Apex.Postgres;

/// <summary>
/// Mapping between rows and records. Statuses are stored as their snake_case wire names, money as integer
/// nano-dollars, times as <c>timestamptz</c> truncated to the millisecond (what the events carry).
/// </summary>
internal static class Rows
{
    public const string TaskColumns = """
        id, tenant_id, dag_id, key, name, instruction, agent, status, priority, attempt, max_attempts, output,
        error_code, error_message, input_tokens, output_tokens, cost_nanousd, api_calls, token_limit, cost_limit,
        time_limit_seconds, api_call_limit, metadata, created_at, run_at, started_at, finished_at, version, output_schema,
        traceparent, tracestate
        """;

    /// <summary>How many columns <see cref="TaskColumns"/> selects: the ordinal of the first column a query adds after them.</summary>
    public const int TaskColumnCount = 31;

    public const string DagColumns = "id, tenant_id, name, status, failure_policy, task_count, tasks_done, limits, metadata, created_at, finished_at, version";

    public const string EventColumns = "seq, tenant_id, aggregate_type, aggregate_id, dag_id, version, event_type, data, created_at";

    public const string AgentColumns = "id, tenant_id, name, provider, model, system_prompt, max_concurrency, created_at, updated_at, settings";

    /// <summary>The statuses a task can still leave, as an SQL list.</summary>
    public const string NotFinished = "('pending', 'queued', 'running', 'awaiting_approval')";

    public const string ApprovalColumns = """
        id, tenant_id, task_id, dag_id, attempt, action, tool, args_hash, risk, summary, status, created_at, expires_at,
        decided_at, decided_by, reason, version
        """;

    public static ApprovalRecord ReadApproval(NpgsqlDataReader r) => new()
    {
        Id = r.GetGuid(0),
        TenantId = r.GetString(1),
        TaskId = r.GetGuid(2),
        DagId = GuidOrNull(r, 3),
        Attempt = r.GetInt32(4),
        Action = r.GetString(5),
        Tool = r.GetString(6),
        ArgsHash = r.GetString(7),
        Risk = r.GetString(8),
        Summary = r.GetString(9),
        Status = ApprovalValues.ParseApprovalState(r.GetString(10)),
        CreatedAt = ReadTime(r, 11),
        ExpiresAt = ReadTime(r, 12),
        DecidedAt = TimeOrNull(r, 13),
        DecidedBy = StringOrNull(r, 14),
        Reason = StringOrNull(r, 15),
        Version = r.GetInt32(16),
    };

    public static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    /// <summary>Drops the sub-millisecond part, as the embedded store does, so rows and events carry the same instant.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset at) => Time(at.ToUnixTimeMilliseconds());

    public static DateTimeOffset ReadTime(NpgsqlDataReader r, int i) => r.GetFieldValue<DateTimeOffset>(i);

    public static DateTimeOffset? TimeOrNull(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);

    public static string? StringOrNull(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    public static Guid? GuidOrNull(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetGuid(i);

    public static string? Json(IReadOnlyDictionary<string, string>? metadata) =>
        metadata is null ? null : JsonSerializer.Serialize(metadata as Dictionary<string, string> ?? new Dictionary<string, string>(metadata), CoreJsonContext.Default.DictionaryStringString);

    public static Dictionary<string, string>? Metadata(NpgsqlDataReader r, int i) =>
        r.IsDBNull(i) ? null : JsonSerializer.Deserialize(r.GetString(i), CoreJsonContext.Default.DictionaryStringString);

    public static TaskRecord ReadTask(NpgsqlDataReader r) => new()
    {
        Id = r.GetGuid(0),
        TenantId = r.GetString(1),
        DagId = GuidOrNull(r, 2),
        Key = StringOrNull(r, 3),
        Name = r.GetString(4),
        Instruction = r.GetString(5),
        Agent = r.GetString(6),
        Status = StoreValues.ParseTaskState(r.GetString(7)),
        Priority = r.GetInt32(8),
        Attempt = r.GetInt32(9),
        MaxAttempts = r.GetInt32(10),
        Output = StringOrNull(r, 11),
        ErrorCode = StringOrNull(r, 12),
        ErrorMessage = StringOrNull(r, 13),
        InputTokens = r.GetInt64(14),
        OutputTokens = r.GetInt64(15),
        CostUsd = StoreValues.FromNanos(r.GetInt64(16)),
        ApiCalls = r.GetInt32(17),
        Limits = new TaskLimits
        {
            TokenLimit = r.IsDBNull(18) ? null : r.GetInt64(18),
            CostLimit = r.IsDBNull(19) ? null : r.GetDecimal(19),
            TimeLimitSeconds = r.IsDBNull(20) ? null : r.GetInt32(20),
            ApiCallLimit = r.IsDBNull(21) ? null : r.GetInt32(21),
        },
        Metadata = Metadata(r, 22),
        CreatedAt = ReadTime(r, 23),
        RunAt = TimeOrNull(r, 24),
        StartedAt = TimeOrNull(r, 25),
        FinishedAt = TimeOrNull(r, 26),
        Version = r.GetInt32(27),
        OutputSchema = StringOrNull(r, 28),
        TraceParent = StringOrNull(r, 29),
        TraceState = StringOrNull(r, 30),
    };

    public static DagRecord ReadDag(NpgsqlDataReader r) => new()
    {
        Id = r.GetGuid(0),
        TenantId = r.GetString(1),
        Name = r.GetString(2),
        Status = StoreValues.ParseDagState(r.GetString(3)),
        FailurePolicy = StoreValues.ParsePolicy(r.GetString(4)),
        TaskCount = r.GetInt32(5),
        TasksDone = r.GetInt32(6),
        Limits = r.IsDBNull(7) ? null : JsonSerializer.Deserialize(r.GetString(7), CoreJsonContext.Default.TaskLimits),
        Metadata = Metadata(r, 8),
        CreatedAt = ReadTime(r, 9),
        FinishedAt = TimeOrNull(r, 10),
        Version = r.GetInt32(11),
    };

    public static StoredEvent ReadEvent(NpgsqlDataReader r) => new()
    {
        Seq = r.GetInt64(0),
        TenantId = r.GetString(1),
        AggregateType = r.GetString(2),
        AggregateId = r.GetGuid(3),
        DagId = GuidOrNull(r, 4),
        Version = r.GetInt32(5),
        EventType = r.GetString(6),
        Data = r.GetString(7),
        CreatedAt = ReadTime(r, 8),
    };

    public static AgentDefinition ReadAgent(NpgsqlDataReader r) => new()
    {
        Id = r.GetGuid(0),
        TenantId = r.GetString(1),
        Name = r.GetString(2),
        Provider = r.GetString(3),
        Model = r.GetString(4),
        SystemPrompt = StringOrNull(r, 5),
        MaxConcurrency = r.GetInt32(6),
        CreatedAt = ReadTime(r, 7),
        UpdatedAt = ReadTime(r, 8),
        Settings = StoreValues.ParseSettings(StringOrNull(r, 9)),
    };
}
