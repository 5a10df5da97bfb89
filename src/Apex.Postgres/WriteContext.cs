using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Apex.Contracts.Tasks;
using Apex.Core.Dags;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tasks;
using Npgsql;

namespace Apex.Postgres;

/// <summary>
/// What one write sees inside the group-commit transaction: the connection, the clock, the events it appends.
/// <para>
/// A write must throw an <see cref="Apex.Core.Errors.ApexException"/> only before its first data change (and before it
/// reserves an eager start, which the group hands over once committed, see <see cref="Starts"/>): the group
/// runs without savepoints (each would be a subtransaction, and more than 64 of them in one transaction slow down
/// every snapshot on the server), so a domain error must leave nothing to undo.
/// </para>
/// <para>
/// Round trips are what a group costs, so same-kind changes are coalesced: new task rows, terminal transitions, DAG
/// promotions and DAG progress are buffered and sent as set-based statements in the round trip of the next statement
/// (which may read them), or with the events at the end; the task and DAG rows the group will lock anyway are locked
/// together up front. The transaction is begun and committed in SQL: <c>BEGIN</c> rides with the group's first
/// statement and <c>COMMIT</c> with its last (the events), so a group of submissions is one round trip, and the
/// event-append lock is held for one round trip, not two (Npgsql's transaction API sends its commit on its own).
/// </para>
/// </summary>
internal sealed class WriteContext(NpgsqlConnection connection, long now, bool customPlans = false)
{
    /// <summary>Sent ahead of a group's first DAG statement when <see cref="PostgresOptions.WriterCustomPlans"/> is on.</summary>
    private const string CustomPlansSql = "SET LOCAL plan_cache_mode = force_custom_plan";

    private const string InsertEventsSql = """
        INSERT INTO events (tenant_id, aggregate_type, aggregate_id, dag_id, version, event_type, data, created_at)
        SELECT u.tenant_id, u.aggregate_type, u.aggregate_id, u.dag_id, u.version, u.event_type, u.data::json, u.created_at
        FROM unnest(@tenant_id::text[], @aggregate_type::text[], @aggregate_id::uuid[], @dag_id::uuid[], @version::integer[],
            @event_type::text[], @data::text[], @created_at::timestamptz[])
            WITH ORDINALITY AS u (tenant_id, aggregate_type, aggregate_id, dag_id, version, event_type, data, created_at, ord)
        ORDER BY u.ord
        RETURNING seq, aggregate_type, aggregate_id, version
        """;

    /// <summary>The checked form of each statement <see cref="Checked"/> wraps, built once.</summary>
    private static readonly ConcurrentDictionary<string, string> CheckedSql = new(StringComparer.Ordinal);

    private readonly Dictionary<Guid, Guid?> _dagOfTask = [];
    private readonly Dictionary<Guid, TaskRecord> _locked = [];
    private readonly Dictionary<Guid, DagRecord> _dags = [];
    private readonly TaskInsertBuffer _inserts = new();
    private readonly TaskEndBuffer _ends = new();
    private readonly DagProgressBuffer _progress = new();
    private readonly List<(TaskRecord Task, int Attempt, LlmCallUsage Line)> _usage = [];
    private bool _customPlansWanted;
    private bool _customPlansSent;
    private bool _begun;

    /// <summary>Milliseconds since the Unix epoch, one value for the whole group so rows and events agree.</summary>
    public long Now { get; } = now;

    public DateTimeOffset NowOffset => Rows.Time(Now);

    /// <summary>
    /// Where the group may start the dependents it makes ready (see <see cref="IEagerStarts"/>), or null: they are queued
    /// for the dispatcher to claim.
    /// </summary>
    public IEagerStarts? Starts { get; init; }

    /// <summary>
    /// The tasks this group claimed for <see cref="Starts"/>, each reserved there: started once the group is committed,
    /// released if it is not.
    /// </summary>
    public List<(DispatchItem Item, TaskRecord Task)> Started { get; } = [];

    /// <summary>Events appended so far, in order; they get their <c>seq</c> in <see cref="FlushEventsAsync"/>.</summary>
    public List<StoredEvent> Events { get; } = [];

    /// <summary>The group's write now running (its index); the events appended are its own.</summary>
    public int CurrentWrite { get; set; }

    private readonly List<int> _eventWrites = [];

    /// <summary>
    /// Drops the events write <paramref name="write"/> appended since <paramref name="mark"/> (it was refused). Events
    /// appended meanwhile for earlier writes (their dependents, looked up in the round trip of this write's statement)
    /// stay.
    /// </summary>
    public void UndoEvents(int mark, int write)
    {
        for (var i = Events.Count - 1; i >= mark; i--)
        {
            if (_eventWrites[i] == write)
            {
                Events.RemoveAt(i);
                _eventWrites.RemoveAt(i);
            }
        }
    }

    /// <summary>
    /// Plans the rest of the group's statements for their arguments (when <see cref="PostgresOptions.WriterCustomPlans"/>
    /// is on): called before the first statement on DAG rows, whose generic plans went wrong on young tables. Groups of
    /// standalone tasks keep their cached plans, which cost 3–10 % of their throughput when planned each time.
    /// </summary>
    public void PlanForArguments() => _customPlansWanted = customPlans;

    /// <summary>Runs a statement, after what is buffered and in the same round trip; returns the rows it changed.</summary>
    public async Task<int> ExecuteAsync(string sql, params (string Name, object? Value)[] parameters)
    {
        await LookUpReadyAsync();
        var last = BatchCommand(sql, parameters);
        await SendAsync([last]);
        return last.RecordsAffected;
    }

    /// <summary>Runs several statements in one round trip.</summary>
    public async Task ExecuteBatchAsync(params (string Sql, (string Name, object? Value)[] Parameters)[] commands)
    {
        await LookUpReadyAsync();
        await SendAsync(commands.Select(c => BatchCommand(c.Sql, c.Parameters)));
    }

    public async Task<object?> ScalarAsync(string sql, params (string Name, object? Value)[] parameters)
    {
        var values = await ListAsync(sql, r => r.IsDBNull(0) ? null : r.GetValue(0), parameters);
        return values.Count == 0 ? null : values[0];
    }

    /// <summary>
    /// Runs a query, after what is buffered and in the same round trip (the buffered statements return no rows, so
    /// every row read is the query's).
    /// </summary>
    public async Task<List<T>> ListAsync<T>(string sql, Func<NpgsqlDataReader, T> read, params (string Name, object? Value)[] parameters)
    {
        await LookUpReadyAsync();
        var rows = new List<T>();
        await SendAsync([BatchCommand(sql, parameters)], r => rows.Add(read(r)));
        return rows;
    }

    public async Task<T?> SingleOrDefaultAsync<T>(string sql, Func<NpgsqlDataReader, T> read, params (string Name, object? Value)[] parameters)
        where T : class => (await ListAsync(sql, read, parameters)).FirstOrDefault();

    /// <summary>Buffers a new task row; it is inserted with the others before anything reads the table.</summary>
    public void DeferInsert(NewTask task, Guid? dagId, int? position, string? key, TaskState status, string? startedBy = null) =>
        _inserts.Add(task, dagId, position, key, status, startedBy);

    /// <summary>Buffers the end of a task this group holds locked at <paramref name="task"/>'s status and attempt.</summary>
    public async Task DeferEndAsync(TaskRecord task, TaskState state, string? output, TaskError? error, UsageDelta usage)
    {
        if (_ends.Contains(task.Id))
        {
            await FlushAsync();
        }
        _ends.Add(task, state, output, error, usage);
    }

    /// <summary>
    /// Records that a task of a DAG this group holds succeeded: its ready dependents are looked up together with the
    /// group's other successes, in the round trip of the next statement (or of the events), and added to
    /// <paramref name="changes"/>, with their promotion and <c>task.queued</c> events, before the group commits.
    /// </summary>
    public void DeferReadyLookup(Guid taskId, TransitionChanges changes) => _progress.LookUp(taskId, changes, CurrentWrite);

    /// <summary>
    /// Runs the recorded lookups (with what is buffered) and buffers the promotions they find. Every statement does so
    /// first; the writer does so once its writes ran, before it waits for its turn to append.
    /// </summary>
    public async Task LookUpReadyAsync()
    {
        if (!_progress.HasLookups)
        {
            return;
        }
        PlanForArguments();
        var rows = new List<DagProgressBuffer.ReadyRow>();
        await SendAsync([_progress.TakeLookups(out var lookups)], r => rows.Add(DagProgressBuffer.ReadReady(r)));
        var appending = CurrentWrite;
        foreach (var dependent in rows.GroupBy(r => r.Task.Id))
        {
            var task = dependent.First().Task;
            var outputs = dependent.ToDictionary(r => r.DependencyKey, r => r.Output, StringComparer.Ordinal);
            var instruction = InstructionTemplate.Render(task.Instruction, key => outputs.GetValueOrDefault(key));
            // It becomes ready in the write of the first of its dependencies that succeeded in this group.
            var (_, changes, write) = lookups.First(l => dependent.Any(r => r.DependencyId == l.TaskId));
            CurrentWrite = write;
            Append(task.TenantId, EventTypes.Task, task.Id, task.Version + 1, EventTypes.TaskQueued,
                new TaskQueuedData(instruction), CoreJsonContext.Default.TaskQueuedData, task.DagId);
            var item = new DispatchItem(task.Id, task.Priority, 0, DispatchItem.Lane(task.TenantId, task.Agent));
            if (Starts is { } starts && starts.TryReserve(item))
            {
                // Claimed in this group for the dispatcher that reserved room for it, which sends it once committed.
                var started = EagerStartPlan.Claimed(task with { Instruction = instruction, Version = task.Version + 1 }, NowOffset);
                _progress.Start(task.Id, instruction, starts.Worker);
                _locked.Remove(task.Id);
                Append(task.TenantId, EventTypes.Task, task.Id, started.Version, EventTypes.TaskStarted,
                    new TaskStartedData(started.Attempt, starts.Worker), CoreJsonContext.Default.TaskStartedData, task.DagId);
                Started.Add((item, started));
                continue;
            }
            DeferPromote(task.Id, instruction);
            changes.Ready(item);
        }
        CurrentWrite = appending;
    }

    /// <summary>Buffers the move of a pending task (of a DAG this group holds) to queued with its rendered instruction.</summary>
    public void DeferPromote(Guid taskId, string instruction)
    {
        _progress.Promote(taskId, instruction);
        _locked.Remove(taskId);
    }

    /// <summary>Buffers <paramref name="done"/> more finished tasks on a DAG this group holds, and keeps its row current.</summary>
    public void DeferDagDone(DagRecord dag, int done)
    {
        _progress.Done(dag.Id, done);
        _dags[dag.Id] = dag with { TasksDone = dag.TasksDone + done };
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
    /// Locks, in one round trip, the rows the group's keyed writes lock anyway: the DAG rows in id order, then the tasks
    /// in id order (every write takes a DAG row before its tasks, so concurrent groups cannot deadlock on them). The
    /// writes then read them from here instead of locking them one round trip at a time: a task row until a write
    /// changes it, a DAG row through the whole group (the writes that change it keep it current, see
    /// <see cref="RememberDag"/>).
    /// </summary>
    public async Task LockAheadAsync(IEnumerable<Guid> taskIds, IEnumerable<Guid> dagIds)
    {
        var tasks = taskIds.Where(id => _dagOfTask.ContainsKey(id)).Distinct().Order().ToArray();
        var dags = dagIds.Concat(tasks.Select(KnownDagOf).OfType<Guid>()).Where(id => !_dags.ContainsKey(id)).Distinct().Order().ToArray();
        if (tasks.Length + dags.Length < 2)
        {
            return;
        }
        await LookUpReadyAsync();
        if (dags.Length > 0)
        {
            PlanForArguments();
        }
        var locks = new List<NpgsqlBatchCommand>(2);
        if (dags.Length > 0)
        {
            locks.Add(BatchCommand($"SELECT {Rows.DagColumns} FROM dags WHERE id = ANY(@ids) ORDER BY id FOR UPDATE", [("ids", dags)]));
        }
        if (tasks.Length > 0)
        {
            locks.Add(BatchCommand($"SELECT {Rows.TaskColumns} FROM tasks WHERE id = ANY(@ids) ORDER BY id FOR UPDATE", [("ids", tasks)]));
        }
        await SendAsync(locks, r =>
        {
            if (r.FieldCount == Rows.TaskColumnCount)
            {
                var task = Rows.ReadTask(r);
                _locked[task.Id] = task;
            }
            else
            {
                var dag = Rows.ReadDag(r);
                _dags[dag.Id] = dag;
            }
        });
    }

    /// <summary>A DAG row this group holds locked, as this group's writes left it; null when not locked yet.</summary>
    public DagRecord? LockedDag(Guid dagId) => _dags.GetValueOrDefault(dagId);

    /// <summary>Records a DAG row this group locked, or its state after this group changed it.</summary>
    public void RememberDag(DagRecord dag) => _dags[dag.Id] = dag;

    /// <summary>Forgets a DAG row changed by a statement that does not tell its new state (a claim starting it).</summary>
    public void ForgetDag(Guid dagId) => _dags.Remove(dagId);

    /// <summary>A task locked by <see cref="LockAheadAsync"/> and not changed since; consumed by the call.</summary>
    public TaskRecord? TakeLocked(Guid taskId) => _locked.Remove(taskId, out var task) ? task : null;

    /// <summary>Forgets what <see cref="LockAheadAsync"/> read about a task once a write changed it.</summary>
    public void Forget(Guid taskId) => _locked.Remove(taskId);

    public void Append<T>(string tenantId, string aggregateType, Guid aggregateId, int version, string eventType, T data, JsonTypeInfo<T> type, Guid? dagId)
    {
        _eventWrites.Add(CurrentWrite);
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
    }

    /// <summary>Sends the buffered inserts and ends, if any.</summary>
    public async Task FlushAsync()
    {
        await LookUpReadyAsync();
        if (_inserts.Count == 0 && _ends.Count == 0 && _progress.IsEmpty)
        {
            return;
        }
        await SendAsync([]);
    }

    /// <summary>
    /// Sends what is still buffered, inserts every event of the group in one statement under the event-append lock, and
    /// commits, all in one round trip; returns the events with their <c>seq</c>. Call last: the lock is held until the
    /// commit. A group that sent nothing and has nothing to write commits nothing.
    /// </summary>
    public async Task<IReadOnlyList<StoredEvent>> CommitAsync()
    {
        await LookUpReadyAsync();
        if (!_begun && _inserts.Count == 0 && _ends.Count == 0 && _progress.IsEmpty && _usage.Count == 0 && Events.Count == 0)
        {
            return [];
        }
        await using var batch = new NpgsqlBatch(connection);
        AddBuffered(batch);
        AddUsage(batch);
        var count = Events.Count;
        if (count > 0)
        {
            batch.BatchCommands.Add(BatchCommand("SELECT pg_advisory_xact_lock(@lock)", [("lock", PostgresMigrations.EventAppendLock)]));
            batch.BatchCommands.Add(EventsCommand());
        }
        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));

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
        _begun = false;
        var stored = new StoredEvent[count];
        for (var i = 0; i < count; i++)
        {
            var e = Events[i];
            stored[i] = e with { Seq = seqs[(e.AggregateType, e.AggregateId, e.Version)] };
        }
        return stored;
    }

    /// <summary>
    /// Ends the group's transaction without committing it, if one was begun (the group failed, or its commit did); a
    /// connection that cannot be reached any more is left to the pool, which drops it.
    /// </summary>
    public async Task RollBackAsync()
    {
        if (!_begun)
        {
            return;
        }
        _begun = false;
        try
        {
            await using var rollback = new NpgsqlCommand("ROLLBACK", connection);
            await rollback.ExecuteNonQueryAsync();
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // Broken or closed: the server ends the transaction with the session.
        }
    }

    private NpgsqlBatchCommand EventsCommand()
    {
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
        return BatchCommand(InsertEventsSql, [
            ("tenant_id", tenants), ("aggregate_type", types), ("aggregate_id", ids), ("dag_id", dags), ("version", versions),
            ("event_type", eventTypes), ("data", data), ("created_at", createdAt)]);
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

    /// <summary>
    /// Sends what is buffered, then <paramref name="commands"/>, in one round trip; every row they return goes to
    /// <paramref name="read"/> (the buffered statements return none).
    /// </summary>
    private async Task SendAsync(IEnumerable<NpgsqlBatchCommand> commands, Action<NpgsqlDataReader>? read = null)
    {
        await using var batch = new NpgsqlBatch(connection);
        AddBuffered(batch);
        foreach (var command in commands)
        {
            batch.BatchCommands.Add(command);
        }
        if (read is null)
        {
            await batch.ExecuteNonQueryAsync();
        }
        else
        {
            await using var reader = await batch.ExecuteReaderAsync();
            do
            {
                while (await reader.ReadAsync())
                {
                    read(reader);
                }
            }
            while (await reader.NextResultAsync());
        }
    }

    /// <summary>
    /// Adds the group's <c>BEGIN</c> (in its first round trip) and the buffered statements to <paramref name="batch"/>.
    /// The statements on rows the group holds locked check their row counts in the server (see <see cref="Checked"/>), so
    /// that the commit may ride in the same round trip.
    /// </summary>
    private void AddBuffered(NpgsqlBatch batch)
    {
        if (!_begun)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
            _begun = true;
        }
        if (_customPlansWanted && !_customPlansSent)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(CustomPlansSql));
            _customPlansSent = true;
        }
        if (_inserts.Count > 0)
        {
            batch.BatchCommands.Add(BatchCommand(TaskInsertBuffer.Sql, _inserts.Parameters(NowOffset)));
            _inserts.Clear();
        }
        if (_ends.Count > 0)
        {
            // Before the promotions: a dependent is queued only once its dependencies' ends are in.
            batch.BatchCommands.Add(Checked(TaskEndBuffer.Sql, _ends.Parameters(NowOffset), _ends.Count, "Ending locked task(s)"));
            _ends.Clear();
        }
        if (!_progress.IsEmpty)
        {
            foreach (var (sql, parameters, expected, what) in _progress.Commands(NowOffset))
            {
                batch.BatchCommands.Add(Checked(sql, parameters, expected, what));
            }
            _progress.Clear();
        }
    }

    /// <summary>
    /// <paramref name="sql"/> (an UPDATE of rows the group holds locked) run so that the server raises
    /// <c>apex_expect_rows</c>'s error unless it changed exactly <paramref name="expected"/> rows; it returns no row.
    /// </summary>
    private static NpgsqlBatchCommand Checked(string sql, (string Name, object? Value)[] parameters, int expected, string what)
    {
        var command = BatchCommand(CheckedSql.GetOrAdd(sql, static update => $"""
            WITH changed AS ({update}
                RETURNING 1)
            SELECT FROM (SELECT count(*) AS n FROM changed) AS c WHERE apex_expect_rows(c.n, @apex_expected, @apex_what)
            """), parameters);
        command.Parameters.AddWithValue("apex_expected", expected);
        command.Parameters.AddWithValue("apex_what", what);
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
