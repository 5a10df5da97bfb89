using Apex.Core.Dags;
using Apex.Core.Storage;
using Apex.Core.Tasks;
using Npgsql;

namespace Apex.Postgres;

/// <summary>
/// What a group's completions do to their DAGs besides ending the task, gathered write by write and done set-based:
/// the lookup of the ready dependents of the tasks that succeeded (one query for all of them), the promotion of those
/// dependents from pending to queued with their rendered instructions, and the DAGs' finished-task counters (one
/// statement each, in the round trip of the group's next statement).
/// </summary>
internal sealed class DagProgressBuffer
{
    /// <summary>
    /// The pending dependents of the tasks <c>@ids</c>, whose dependencies all succeeded: one row per dependency, the
    /// dependent's whole row (<see cref="Rows.TaskColumns"/>, which an eager start hands to the dispatcher) and then the
    /// dependency's id, key and output. The dependents are read by primary key alone (a materialized CTE, filtered on status only after):
    /// given <c>status = 'pending'</c> next to the join, planners hashed the edges against every pending task of the
    /// cluster through <c>idx_tasks_pending</c> (measured: 30-50 ms a completion with DAGs of 10 at 100/s, which then
    /// timed out). No row locks: pending tasks change only under their DAG's row lock, which the group holds for every
    /// DAG whose task succeeded in it.
    /// </summary>
    public const string ReadySql = $"""
        WITH dependents AS MATERIALIZED (
            SELECT {Rows.TaskColumns} FROM tasks
            WHERE id = ANY(ARRAY(SELECT to_id FROM task_edges WHERE from_id = ANY(@ids)))
        )
        SELECT t.*, d.id, d.key, d.output
        FROM dependents t
        JOIN task_edges e ON e.to_id = t.id
        JOIN tasks d ON d.id = e.from_id
        WHERE t.status = 'pending'
            AND NOT EXISTS (
                SELECT 1 FROM task_edges e2 JOIN tasks d2 ON d2.id = e2.from_id
                WHERE e2.to_id = t.id AND d2.status <> 'succeeded')
        ORDER BY t.id
        """;

    /// <summary>Queues the dependents whose dependencies all succeeded: a compare-and-set on pending.</summary>
    public const string PromoteSql = """
        UPDATE tasks SET status = 'queued', instruction = u.instruction, version = version + 1
        FROM unnest(@ids::uuid[], @instructions::text[]) AS u (id, instruction)
        WHERE tasks.id = u.id AND tasks.status = 'pending'
        """;

    /// <summary>
    /// Starts the dependents whose dependencies all succeeded, claimed for <c>@worker</c> (an eager start, see
    /// <see cref="IEagerStarts"/>): pending straight to running at attempt + 1, two versions on (queued, then started), a
    /// compare-and-set on pending like <see cref="PromoteSql"/>. Their DAG is running already: a dependency ran.
    /// </summary>
    public const string StartSql = """
        UPDATE tasks SET status = 'running', instruction = u.instruction, attempt = attempt + 1, started_at = GREATEST(@now, created_at),
            run_at = NULL, worker = @worker, version = version + 2
        FROM unnest(@ids::uuid[], @instructions::text[]) AS u (id, instruction)
        WHERE tasks.id = u.id AND tasks.status = 'pending'
        """;

    /// <summary>Adds finished tasks to the counters of DAGs locked by the group (one row per DAG).</summary>
    public const string DoneSql = """
        UPDATE dags SET tasks_done = dags.tasks_done + u.done
        FROM unnest(@ids::uuid[], @done::integer[]) AS u (id, done)
        WHERE dags.id = u.id
        """;

    private readonly List<(Guid TaskId, TransitionChanges Changes, int Write)> _lookups = [];
    private readonly List<Guid> _promoted = [];
    private readonly List<string> _instructions = [];
    private readonly List<Guid> _started = [];
    private readonly List<string> _startedInstructions = [];
    private string? _worker;
    private readonly Dictionary<Guid, int> _done = [];

    public bool IsEmpty => _promoted.Count == 0 && _started.Count == 0 && _done.Count == 0;

    /// <summary>Whether succeeded tasks wait for their ready dependents to be looked up.</summary>
    public bool HasLookups => _lookups.Count > 0;

    /// <summary>
    /// Records that <paramref name="taskId"/> (of a DAG the group holds) succeeded in write <paramref name="write"/>;
    /// its ready dependents go to <paramref name="changes"/> once looked up, before the group commits.
    /// </summary>
    public void LookUp(Guid taskId, TransitionChanges changes, int write) => _lookups.Add((taskId, changes, write));

    /// <summary>The lookup statement for the recorded successes; they are forgotten.</summary>
    public NpgsqlBatchCommand TakeLookups(out List<(Guid TaskId, TransitionChanges Changes, int Write)> lookups)
    {
        lookups = [.. _lookups];
        _lookups.Clear();
        var command = new NpgsqlBatchCommand(ReadySql);
        WriteContext.Bind(command.Parameters, [("ids", lookups.Select(l => l.TaskId).Distinct().ToArray())]);
        return command;
    }

    /// <summary>A row of <see cref="ReadySql"/>.</summary>
    public static ReadyRow ReadReady(NpgsqlDataReader r) => new(Rows.ReadTask(r), r.GetGuid(Rows.TaskColumnCount),
        r.GetString(Rows.TaskColumnCount + 1), Rows.StringOrNull(r, Rows.TaskColumnCount + 2));

    /// <summary>A ready dependent (its row, still pending) and one of its dependencies, with that dependency's output.</summary>
    public sealed record ReadyRow(TaskRecord Task, Guid DependencyId, string DependencyKey, string? Output);

    public void Promote(Guid taskId, string instruction)
    {
        _promoted.Add(taskId);
        _instructions.Add(instruction);
    }

    /// <summary>Buffers the start of a ready dependent claimed for <paramref name="worker"/> (one worker name per group).</summary>
    public void Start(Guid taskId, string instruction, string worker)
    {
        _started.Add(taskId);
        _startedInstructions.Add(instruction);
        _worker = worker;
    }

    public void Done(Guid dagId, int done) => _done[dagId] = _done.GetValueOrDefault(dagId) + done;

    /// <summary>The statements to send, each with the number of rows it must change.</summary>
    public IEnumerable<(string Sql, (string Name, object? Value)[] Parameters, int Expected, string What)> Commands(DateTimeOffset now)
    {
        if (_promoted.Count > 0)
        {
            yield return (PromoteSql, [("ids", _promoted.ToArray()), ("instructions", _instructions.ToArray())], _promoted.Count,
                "Queueing ready dependents");
        }
        if (_started.Count > 0)
        {
            yield return (StartSql, [("ids", _started.ToArray()), ("instructions", _startedInstructions.ToArray()), ("now", now), ("worker", _worker)],
                _started.Count, "Starting ready dependents");
        }
        if (_done.Count > 0)
        {
            yield return (DoneSql, [("ids", _done.Keys.ToArray()), ("done", _done.Values.ToArray())], _done.Count, "Counting finished DAG tasks");
        }
    }

    /// <summary>Forgets the promotions and counters once sent (the lookups are taken by <see cref="TakeLookups"/>).</summary>
    public void Clear()
    {
        _promoted.Clear();
        _instructions.Clear();
        _started.Clear();
        _startedInstructions.Clear();
        _done.Clear();
    }
}
