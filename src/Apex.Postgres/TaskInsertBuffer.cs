using Apex.Contracts.Tasks;
using Apex.Core.Storage;

namespace Apex.Postgres;

/// <summary>New task rows gathered column by column, inserted with one multi-row statement.</summary>
internal sealed class TaskInsertBuffer
{
    /// <summary>
    /// All the rows in one statement: one array per column, unnested. A row with a <c>worker</c> is inserted already
    /// claimed by it (running, attempt 1, version 2: an eager start, see <see cref="IEagerStarts"/>).
    /// </summary>
    public const string Sql = """
        INSERT INTO tasks (id, tenant_id, dag_id, dag_position, key, name, instruction, agent, status, priority, attempt, max_attempts,
            token_limit, cost_limit, time_limit_seconds, api_call_limit, metadata, created_at, version, output_schema,
            traceparent, tracestate, started_at, worker)
        SELECT u.id, u.tenant_id, u.dag_id, u.dag_position, u.key, u.name, u.instruction, u.agent,
            CASE WHEN u.worker IS NULL THEN u.status ELSE 'running' END, u.priority, CASE WHEN u.worker IS NULL THEN 0 ELSE 1 END,
            u.max_attempts, u.token_limit, u.cost_limit, u.time_limit_seconds, u.api_call_limit, u.metadata::jsonb, @at,
            CASE WHEN u.worker IS NULL THEN 1 ELSE 2 END, u.output_schema, u.traceparent, u.tracestate,
            CASE WHEN u.worker IS NULL THEN NULL ELSE @at END, u.worker
        FROM unnest(@id::uuid[], @tenant_id::text[], @dag_id::uuid[], @dag_position::integer[], @key::text[], @name::text[],
            @instruction::text[], @agent::text[], @status::text[], @priority::integer[], @max_attempts::integer[],
            @token_limit::bigint[], @cost_limit::numeric[], @time_limit_seconds::integer[], @api_call_limit::integer[], @metadata::text[],
            @output_schema::text[], @traceparent::text[], @tracestate::text[], @worker::text[])
            AS u (id, tenant_id, dag_id, dag_position, key, name, instruction, agent, status, priority, max_attempts,
            token_limit, cost_limit, time_limit_seconds, api_call_limit, metadata, output_schema, traceparent, tracestate, worker)
        """;

    private readonly List<Guid> _ids = [];
    private readonly List<string> _tenants = [];
    private readonly List<Guid?> _dags = [];
    private readonly List<int?> _positions = [];
    private readonly List<string?> _keys = [];
    private readonly List<string> _names = [];
    private readonly List<string> _instructions = [];
    private readonly List<string> _agents = [];
    private readonly List<string> _statuses = [];
    private readonly List<int> _priorities = [];
    private readonly List<int> _maxAttempts = [];
    private readonly List<long?> _tokenLimits = [];
    private readonly List<decimal?> _costLimits = [];
    private readonly List<int?> _timeLimits = [];
    private readonly List<int?> _callLimits = [];
    private readonly List<string?> _metadata = [];
    private readonly List<string?> _outputSchemas = [];
    private readonly List<string?> _traceParents = [];
    private readonly List<string?> _traceStates = [];
    private readonly List<string?> _workers = [];

    public int Count => _ids.Count;

    /// <summary>Adds a row in <paramref name="status"/>, or claimed by <paramref name="startedBy"/> when given.</summary>
    public void Add(NewTask task, Guid? dagId, int? position, string? key, TaskState status, string? startedBy = null)
    {
        _ids.Add(task.Id);
        _tenants.Add(task.TenantId);
        _dags.Add(dagId);
        _positions.Add(position);
        _keys.Add(key);
        _names.Add(task.Name);
        _instructions.Add(task.Instruction);
        _agents.Add(task.Agent);
        _statuses.Add(status.Name());
        _priorities.Add(task.Priority);
        _maxAttempts.Add(task.MaxAttempts);
        _tokenLimits.Add(task.Limits.TokenLimit);
        _costLimits.Add(task.Limits.CostLimit);
        _timeLimits.Add(task.Limits.TimeLimitSeconds);
        _callLimits.Add(task.Limits.ApiCallLimit);
        _metadata.Add(Rows.Json(task.Metadata));
        _outputSchemas.Add(task.OutputSchema);
        _traceParents.Add(task.TraceParent);
        _traceStates.Add(task.TraceState);
        _workers.Add(startedBy);
    }

    public (string Name, object? Value)[] Parameters(DateTimeOffset at) =>
    [
        ("id", _ids.ToArray()), ("tenant_id", _tenants.ToArray()), ("dag_id", _dags.ToArray()), ("dag_position", _positions.ToArray()),
        ("key", _keys.ToArray()), ("name", _names.ToArray()), ("instruction", _instructions.ToArray()), ("agent", _agents.ToArray()),
        ("status", _statuses.ToArray()), ("priority", _priorities.ToArray()), ("max_attempts", _maxAttempts.ToArray()),
        ("token_limit", _tokenLimits.ToArray()), ("cost_limit", _costLimits.ToArray()), ("time_limit_seconds", _timeLimits.ToArray()),
        ("api_call_limit", _callLimits.ToArray()), ("metadata", _metadata.ToArray()),
        ("output_schema", _outputSchemas.ToArray()),
        ("traceparent", _traceParents.ToArray()), ("tracestate", _traceStates.ToArray()), ("worker", _workers.ToArray()), ("at", at),
    ];

    public void Clear()
    {
        _ids.Clear();
        _tenants.Clear();
        _dags.Clear();
        _positions.Clear();
        _keys.Clear();
        _names.Clear();
        _instructions.Clear();
        _agents.Clear();
        _statuses.Clear();
        _priorities.Clear();
        _maxAttempts.Clear();
        _tokenLimits.Clear();
        _costLimits.Clear();
        _timeLimits.Clear();
        _callLimits.Clear();
        _metadata.Clear();
        _outputSchemas.Clear();
        _traceParents.Clear();
        _traceStates.Clear();
        _workers.Clear();
    }
}
