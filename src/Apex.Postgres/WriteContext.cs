using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tasks;
using Npgsql;

namespace Apex.Postgres;

/// <summary>
/// What one write sees inside the group-commit transaction: the connection, the clock, the events it appends.
/// <para>
/// A write must throw an <see cref="Apex.Core.Errors.ApexException"/> only before its first data change: the group
/// runs without savepoints (each would be a subtransaction, and more than 64 of them in one transaction slow down
/// every snapshot on the server), so a domain error must leave nothing to undo.
/// </para>
/// <para>
/// Round trips are what a group costs, so same-kind changes are coalesced: new task rows and terminal transitions
/// are buffered and sent as one set-based statement just before the next statement that could read them (or with
/// the events at the end); task rows the group will lock anyway are locked together up front.
/// </para>
/// </summary>
internal sealed class WriteContext(NpgsqlConnection connection, NpgsqlTransaction transaction, long now)
{
    private const string InsertEventsSql = """
        INSERT INTO events (tenant_id, aggregate_type, aggregate_id, dag_id, version, event_type, data, created_at)
        SELECT u.tenant_id, u.aggregate_type, u.aggregate_id, u.dag_id, u.version, u.event_type, u.data::json, u.created_at
        FROM unnest(@tenant_id::text[], @aggregate_type::text[], @aggregate_id::uuid[], @dag_id::uuid[], @version::integer[],
            @event_type::text[], @data::text[], @created_at::timestamptz[])
            WITH ORDINALITY AS u (tenant_id, aggregate_type, aggregate_id, dag_id, version, event_type, data, created_at, ord)
        ORDER BY u.ord
        RETURNING seq, aggregate_type, aggregate_id, version
        """;

    private readonly Dictionary<Guid, Guid?> _dagOfTask = [];
    private readonly Dictionary<Guid, TaskRecord> _locked = [];
    private readonly TaskInsertBuffer _inserts = new();
    private readonly TaskEndBuffer _ends = new();
    private readonly List<(TaskRecord Task, int Attempt, LlmCallUsage Line)> _usage = [];

    /// <summary>Milliseconds since the Unix epoch, one value for the whole group so rows and events agree.</summary>
    public long Now { get; } = now;

    public DateTimeOffset NowOffset => Rows.Time(Now);

    /// <summary>Events appended so far, in order; they get their <c>seq</c> in <see cref="FlushEventsAsync"/>.</summary>
    public List<StoredEvent> Events { get; } = [];

    public async Task<int> ExecuteAsync(string sql, params (string Name, object? Value)[] parameters)
    {
        await FlushAsync();
        await using var command = Command(sql, parameters);
        return await command.ExecuteNonQueryAsync();
    }

    /// <summary>Runs several statements in one round trip.</summary>
    public async Task ExecuteBatchAsync(params (string Sql, (string Name, object? Value)[] Parameters)[] commands)
    {
        await FlushAsync();
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var (sql, parameters) in commands)
        {
            batch.BatchCommands.Add(BatchCommand(sql, parameters));
        }
        await batch.ExecuteNonQueryAsync();
    }

    public async Task<object?> ScalarAsync(string sql, params (string Name, object? Value)[] parameters)
    {
        await FlushAsync();
        await using var command = Command(sql, parameters);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull ? null : value;
    }

    public async Task<List<T>> ListAsync<T>(string sql, Func<NpgsqlDataReader, T> read, params (string Name, object? Value)[] parameters)
    {
        await FlushAsync();
        await using var command = Command(sql, parameters);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }
        return rows;
    }

    public async Task<T?> SingleOrDefaultAsync<T>(string sql, Func<NpgsqlDataReader, T> read, params (string Name, object? Value)[] parameters)
        where T : class => (await ListAsync(sql, read, parameters)).FirstOrDefault();

    /// <summary>Buffers a new task row; it is inserted with the others before anything reads the table.</summary>
    public void DeferInsert(NewTask task, Guid? dagId, int? position, string? key, TaskState status) =>
        _inserts.Add(task, dagId, position, key, status);

    /// <summary>Buffers the end of a task this group holds locked at <paramref name="task"/>'s status and attempt.</summary>
    public async Task DeferEndAsync(TaskRecord task, TaskState state, string? output, TaskError? error, UsageDelta usage)
    {
        if (_ends.Contains(task.Id))
        {
            await FlushAsync();
        }
        _ends.Add(task, state, output, error, usage);
    }

    /// <summary>Buffers the usage lines of an attempt's result; they are inserted with the group's events.</summary>
    public void RecordUsage(TaskRecord task, AttemptResult result)
    {
        foreach (var line in result.UsageLines())
        {
            _usage.Add((task, result.Attempt, line));
        }
    }

    /// <summary>Learns the DAG of each task in one round trip, so the writer can order the group by DAG.</summary>
    public async Task PreloadDagsAsync(IReadOnlyCollection<Guid> taskIds)
    {
        var unknown = taskIds.Where(id => !_dagOfTask.ContainsKey(id)).Distinct().ToArray();
        if (unknown.Length == 0)
        {
            return;
        }
        foreach (var (id, dagId) in await ListAsync("SELECT id, dag_id FROM tasks WHERE id = ANY(@ids)", r => (r.GetGuid(0), Rows.GuidOrNull(r, 1)),
            ("ids", unknown)))
        {
            _dagOfTask[id] = dagId;
        }
    }

    /// <summary>The DAG of a task, null for a standalone or unknown task (a task never changes DAG).</summary>
    public Guid? KnownDagOf(Guid taskId) => _dagOfTask.GetValueOrDefault(taskId);

    public async Task<Guid?> DagOfAsync(Guid taskId)
    {
        if (!_dagOfTask.ContainsKey(taskId))
        {
            await PreloadDagsAsync([taskId]);
        }
        return _dagOfTask.GetValueOrDefault(taskId);
    }

    /// <summary>
    /// Locks, in id order and in one round trip, the standalone tasks among <paramref name="taskIds"/> (tasks of a DAG
    /// are locked after their DAG). The first write on each such task then reads it from here.
    /// </summary>
    public async Task LockStandaloneTasksAsync(IEnumerable<Guid> taskIds)
    {
        var ids = taskIds.Where(id => _dagOfTask.TryGetValue(id, out var dagId) && dagId is null).Distinct().Order().ToArray();
        if (ids.Length < 2)
        {
            return;
        }
        foreach (var task in await ListAsync($"SELECT {Rows.TaskColumns} FROM tasks WHERE id = ANY(@ids) ORDER BY id FOR UPDATE", Rows.ReadTask,
            ("ids", ids)))
        {
            _locked[task.Id] = task;
        }
    }

    /// <summary>A task locked by <see cref="LockStandaloneTasksAsync"/> and not changed since; consumed by the call.</summary>
    public TaskRecord? TakeLocked(Guid taskId) => _locked.Remove(taskId, out var task) ? task : null;

    /// <summary>Forgets what <see cref="LockStandaloneTasksAsync"/> read about a task once a write on it ran.</summary>
    public void Forget(Guid taskId) => _locked.Remove(taskId);

    public void Append<T>(string tenantId, string aggregateType, Guid aggregateId, int version, string eventType, T data, JsonTypeInfo<T> type, Guid? dagId) =>
        Events.Add(new StoredEvent
        {
            TenantId = tenantId,
            AggregateType = aggregateType,
            AggregateId = aggregateId,
            Version = version,
            EventType = eventType,
            Data = JsonSerializer.Serialize(data, type),
            CreatedAt = NowOffset,
            DagId = dagId,
        });

    /// <summary>Sends the buffered inserts and ends, if any.</summary>
    public async Task FlushAsync()
    {
        if (_inserts.Count == 0 && _ends.Count == 0)
        {
            return;
        }
        await using var batch = new NpgsqlBatch(connection, transaction);
        var check = AddBuffered(batch);
        await batch.ExecuteNonQueryAsync();
        check();
    }

    /// <summary>
    /// Sends what is still buffered and inserts every event of the group in one statement, under the event-append lock,
    /// all in one round trip; returns the events with their <c>seq</c>. Call last, just before the commit: the lock is
    /// held until then.
    /// </summary>
    public async Task<IReadOnlyList<StoredEvent>> FlushEventsAsync()
    {
        if (Events.Count == 0)
        {
            await FlushAsync();
            if (_usage.Count > 0)
            {
                await using var usage = new NpgsqlBatch(connection, transaction);
                AddUsage(usage);
                await usage.ExecuteNonQueryAsync();
            }
            return [];
        }
        var count = Events.Count;
        var tenants = new string[count];
        var types = new string[count];
        var ids = new Guid[count];
        var dags = new Guid?[count];
        var versions = new int[count];
        var eventTypes = new string[count];
        var data = new string[count];
        var createdAt = new DateTimeOffset[count];
        for (var i = 0; i < count; i++)
        {
            var e = Events[i];
            tenants[i] = e.TenantId;
            types[i] = e.AggregateType;
            ids[i] = e.AggregateId;
            dags[i] = e.DagId;
            versions[i] = e.Version;
            eventTypes[i] = e.EventType;
            data[i] = e.Data;
            createdAt[i] = e.CreatedAt;
        }

        await using var batch = new NpgsqlBatch(connection, transaction);
        var check = AddBuffered(batch);
        AddUsage(batch);
        batch.BatchCommands.Add(BatchCommand("SELECT pg_advisory_xact_lock(@lock)", [("lock", PostgresMigrations.EventAppendLock)]));
        batch.BatchCommands.Add(BatchCommand(InsertEventsSql, [
            ("tenant_id", tenants), ("aggregate_type", types), ("aggregate_id", ids), ("dag_id", dags), ("version", versions),
            ("event_type", eventTypes), ("data", data), ("created_at", createdAt)]));

        var seqs = new Dictionary<(string Type, Guid Id, int Version), long>(count);
        await using (var reader = await batch.ExecuteReaderAsync())
        {
            do
            {
                if (reader.FieldCount == 4 && reader.GetName(0) == "seq")
                {
                    while (await reader.ReadAsync())
                    {
                        seqs[(reader.GetString(1), reader.GetGuid(2), reader.GetInt32(3))] = reader.GetInt64(0);
                    }
                }
            }
            while (await reader.NextResultAsync());
        }
        check();
        var stored = new StoredEvent[count];
        for (var i = 0; i < count; i++)
        {
            var e = Events[i];
            stored[i] = e with { Seq = seqs[(e.AggregateType, e.AggregateId, e.Version)] };
        }
        return stored;
    }

    private void AddUsage(NpgsqlBatch batch)
    {
        if (_usage.Count == 0)
        {
            return;
        }
        var count = _usage.Count;
        var tenants = new string[count];
        var tasks = new Guid[count];
        var dags = new Guid?[count];
        var agents = new string[count];
        var attempts = new int[count];
        var providers = new string[count];
        var models = new string[count];
        var inputs = new long[count];
        var outputs = new long[count];
        var costs = new long[count];
        var calls = new int[count];
        var steps = new int?[count];
        var outcomes = new string?[count];
        var reasons = new string?[count];
        var tops = new long?[count];
        for (var i = 0; i < count; i++)
        {
            var (task, attempt, line) = _usage[i];
            tenants[i] = task.TenantId;
            tasks[i] = task.Id;
            dags[i] = task.DagId;
            agents[i] = task.Agent;
            attempts[i] = attempt;
            providers[i] = line.Provider;
            models[i] = line.Model;
            inputs[i] = line.InputTokens;
            outputs[i] = line.OutputTokens;
            costs[i] = StoreValues.ToNanos(line.CostUsd);
            calls[i] = line.ApiCalls;
            steps[i] = line.Cascade?.Step;
            outcomes[i] = line.Cascade?.Outcome;
            reasons[i] = line.Cascade?.Reason;
            tops[i] = line.Cascade?.TopModelCostUsd is { } top ? StoreValues.ToNanos(top) : null;
        }
        batch.BatchCommands.Add(BatchCommand("""
            INSERT INTO llm_usage (tenant_id, task_id, dag_id, agent, attempt, provider, model, input_tokens, output_tokens, cost_nanousd, api_calls,
                cascade_step, cascade_outcome, cascade_reason, top_cost_nanousd, created_at)
            SELECT u.*, @now FROM unnest(@tenant::text[], @task::uuid[], @dag::uuid[], @agent::text[], @attempt::integer[], @provider::text[],
                @model::text[], @in::bigint[], @out::bigint[], @cost::bigint[], @calls::integer[], @step::integer[], @outcome::text[],
                @reason::text[], @top::bigint[]) AS u
            """, [("tenant", tenants), ("task", tasks), ("dag", dags), ("agent", agents), ("attempt", attempts), ("provider", providers),
                ("model", models), ("in", inputs), ("out", outputs), ("cost", costs), ("calls", calls), ("step", steps), ("outcome", outcomes),
                ("reason", reasons), ("top", tops), ("now", NowOffset)]));
        _usage.Clear();
    }

    /// <summary>Adds the buffered statements to <paramref name="batch"/>; the returned check runs once it executed.</summary>
    private Action AddBuffered(NpgsqlBatch batch)
    {
        if (_inserts.Count > 0)
        {
            batch.BatchCommands.Add(BatchCommand(TaskInsertBuffer.Sql, _inserts.Parameters(NowOffset)));
            _inserts.Clear();
        }
        if (_ends.Count == 0)
        {
            return () => { };
        }
        var ends = BatchCommand(TaskEndBuffer.Sql, _ends.Parameters(NowOffset));
        var expected = _ends.Count;
        batch.BatchCommands.Add(ends);
        _ends.Clear();
        return () =>
        {
            if (ends.RecordsAffected != expected)
            {
                throw new InvalidOperationException($"Ending {expected} locked task(s) changed {ends.RecordsAffected} row(s).");
            }
        };
    }

    private NpgsqlCommand Command(string sql, (string Name, object? Value)[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        Bind(command.Parameters, parameters);
        return command;
    }

    private static NpgsqlBatchCommand BatchCommand(string sql, (string Name, object? Value)[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        Bind(command.Parameters, parameters);
        return command;
    }

    internal static void Bind(NpgsqlParameterCollection target, (string Name, object? Value)[] parameters)
    {
        foreach (var (name, value) in parameters)
        {
            target.AddWithValue(name, value ?? DBNull.Value);
        }
    }
}
