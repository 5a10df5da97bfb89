using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tasks;
using Xunit;

namespace Apex.Store.Tests;

/// <summary>
/// Eager starts (<see cref="IEagerStarts"/>): a standalone submission, or a completion that makes a DAG's dependent
/// ready, claims the task in the same commit for a taker that reserved room for it, and hands it over only once
/// committed; without room the task is queued and dispatched as before. Embedded the taker is an idle worker,
/// distributed the dispatcher.
/// </summary>
public abstract partial class StoreConformanceTests
{
    /// <summary>From now on the store offers the tasks it makes ready to <paramref name="idle"/> takers.</summary>
    protected RecordingStarts UseEagerStarts(int idle)
    {
        var starts = new RecordingStarts(idle);
        ((IEagerStartStore)Store).UseEagerStarts(starts);
        return starts;
    }

    /// <summary>Submits <paramref name="dag"/> and claims its roots the ordinary way, before any eager start is offered.</summary>
    private async Task<Dictionary<string, TaskRecord>> SubmitAndClaimRootsAsync(NewDag dag, params string[] roots)
    {
        await Store.SubmitDagAsync(dag, null, Ct);
        var rows = await DagRowsAsync(dag.Id);
        foreach (var root in roots)
        {
            rows[root] = await ClaimAsync(rows[root].Id);
        }
        return rows;
    }

    [Fact]
    public async Task Submit_WithAnIdleWorker_ClaimsTheTaskInTheSameWrite()
    {
        var starts = UseEagerStarts(idle: 1);
        var spec = Spec();

        var outcome = await Store.SubmitTasksAsync([spec], null, Ct);
        await starts.SettledAsync();

        Assert.Empty(outcome.Dispatch);
        Assert.Equal((TaskState.Running, 1), (outcome.Tasks[0].Status, outcome.Tasks[0].Attempt));
        var started = Assert.Single(starts.Started);
        Assert.Equal(spec.Id, started.Id);
        var row = await RowAsync(spec.Id);
        Assert.Equal((TaskState.Running, 1), (row.Status, row.Attempt));
        var events = await EventsAsync(spec.Id);
        Assert.Equal([EventTypes.TaskCreated, EventTypes.TaskStarted], Types(events));
        Assert.Equal(RecordingStarts.WorkerName, Data(events[1], CoreJsonContext.Default.TaskStartedData).Worker);
        AssertFoldsToRow(row, events);
    }

    [Fact]
    public async Task SubmitBatch_WithFewerIdleWorkersThanTasks_StartsTheHighestPriorityFirst_AndDispatchesTheRest()
    {
        var starts = UseEagerStarts(idle: 2);
        var low = Spec(priority: 0);
        var high = Spec(priority: 5);
        var middle = Spec(priority: 1);

        var outcome = await Store.SubmitTasksAsync([low, high, middle], null, Ct);
        await starts.SettledAsync();

        Assert.Equal([high.Id, middle.Id], starts.Started.Select(t => t.Id));
        Assert.Equal([low.Id], outcome.Dispatch.Select(d => d.Id));
        Assert.Equal([TaskState.Queued, TaskState.Running, TaskState.Running], outcome.Tasks.Select(t => t.Status));
        Assert.Equal(TaskState.Queued, (await RowAsync(low.Id)).Status);
    }

    [Fact]
    public async Task Submit_WithoutAnIdleWorker_DispatchesAsBefore()
    {
        var starts = UseEagerStarts(idle: 0);
        var spec = Spec();

        var outcome = await Store.SubmitTasksAsync([spec], null, Ct);
        await starts.SettledAsync();

        Assert.Equal([spec.Id], outcome.Dispatch.Select(d => d.Id));
        Assert.Empty(starts.Started);
        Assert.Equal(TaskState.Queued, (await RowAsync(spec.Id)).Status);
    }

    [Fact]
    public async Task WritesRefusedInTheSameBatch_GiveTheirReservationsBack_AndOnlyCommittedClaimsStart()
    {
        var starts = UseEagerStarts(idle: 1_000);
        var good = Enumerable.Range(0, 200).Select(_ => Spec()).ToArray();
        var duplicated = Enumerable.Range(0, 10).Select(_ => Spec()).ToArray();

        // Started together, so the writer finds them waiting and commits them in shared groups: a submission that repeats
        // a task id fails its group as a whole (every claim in it) before the group's writes run again apart.
        var calls = new List<Task>();
        for (var i = 0; i < good.Length; i++)
        {
            calls.Add(Store.SubmitTasksAsync([good[i]], null, Ct));
            if (i % 20 == 0)
            {
                var d = duplicated[i / 20];
                calls.Add(Store.SubmitTasksAsync([d, d], null, Ct));
            }
        }
        foreach (var call in calls)
        {
            try
            {
                await call;
            }
            catch (Exception)
            {
            }
        }
        await starts.SettledAsync();

        Assert.Equal(good.Select(t => t.Id).Order(), starts.Started.Select(t => t.Id).Order());
        Assert.Equal(starts.Reserved.Count, starts.Started.Count + starts.Released.Count);
        TestContext.Current.TestOutputHelper?.WriteLine($"{starts.Released.Count} reservation(s) given back by failed groups.");
        foreach (var task in good)
        {
            Assert.Equal(TaskState.Running, (await RowAsync(task.Id)).Status);
        }
    }

    [Fact]
    public async Task SubmitDag_WithRoomForOneRoot_StartsItAndTheDagInTheSameCommit()
    {
        var dag = Dag(FailurePolicy.FailFast, Node("a1", "One."), Node("a2", "Two."), Node("b", "Join {{tasks.a1.output}} and {{tasks.a2.output}}.", "a1", "a2"));
        var starts = UseEagerStarts(idle: 1);

        var outcome = await Store.SubmitDagAsync(dag, null, Ct);
        await starts.SettledAsync();

        var rows = await DagRowsAsync(dag.Id);
        var started = Assert.Single(starts.Started);
        var waiting = Assert.Single(outcome.Dispatch);
        Assert.Equal(new[] { rows["a1"].Id, rows["a2"].Id }.ToHashSet(), new[] { started.Id, waiting.Id }.ToHashSet());
        Assert.Equal(await RowAsync(started.Id), started with { Metadata = (await RowAsync(started.Id)).Metadata });
        Assert.Equal((TaskState.Running, 1), (started.Status, started.Attempt));
        Assert.Equal(TaskState.Queued, (await RowAsync(waiting.Id)).Status);
        var record = await DagAsync(dag.Id);
        Assert.Equal((DagState.Running, 2), (record.Status, record.Version));
        Assert.Equal([EventTypes.DagCreated, EventTypes.DagStarted], Types(await DagEventsAsync(dag.Id)));
        AssertFoldsToRow(await RowAsync(started.Id), await EventsAsync(started.Id));

        // The other root is claimed the ordinary way; the DAG, already running, does not start again.
        await ClaimAsync(waiting.Id);
        Assert.Equal([EventTypes.DagCreated, EventTypes.DagStarted], Types(await DagEventsAsync(dag.Id)));
        Assert.Equal(2, (await DagAsync(dag.Id)).Version);
    }

    [Fact]
    public async Task CompletingADependency_StartsTheDependentInTheSameCommit()
    {
        var dag = Dag(FailurePolicy.FailFast, Node("a", "First."), Node("b", "Then {{tasks.a.output}}.", "a"));
        var rows = await SubmitAndClaimRootsAsync(dag, "a");
        var starts = UseEagerStarts(idle: 1);
        var before = Bus.Published.Count;

        var outcome = await CompleteAsync(rows["a"].Id, 1, output: "done");
        await starts.SettledAsync();

        Assert.Empty(outcome.Dispatch);
        var b = Assert.Single(starts.Started);
        Assert.Equal((rows["b"].Id, "Then done.", TaskState.Running, 1), (b.Id, b.Instruction, b.Status, b.Attempt));
        // What the taker was handed is the committed row.
        var row = await RowAsync(b.Id);
        Assert.Equal(row, b with { Metadata = row.Metadata });
        // One commit: the dependency's end, the dependent's promotion and its start carry the same commit time.
        var committed = Bus.Published.Skip(before).Where(e => e.AggregateType == EventTypes.Task).ToList();
        Assert.Equal([EventTypes.TaskSucceeded, EventTypes.TaskQueued, EventTypes.TaskStarted], Types(committed));
        Assert.Single(committed.Select(e => e.CreatedAt).Distinct());
        Assert.Equal(RecordingStarts.WorkerName, Data(committed[2], CoreJsonContext.Default.TaskStartedData).Worker);
        AssertFoldsToRow(row, await EventsAsync(b.Id));
    }

    [Fact]
    public async Task FanIn_TheDependentStartsInTheCommitOfItsLastDependency()
    {
        var dag = Dag(FailurePolicy.FailFast, Node("a1", "One."), Node("a2", "Two."), Node("b", "Join {{tasks.a1.output}} and {{tasks.a2.output}}.", "a1", "a2"));
        var rows = await SubmitAndClaimRootsAsync(dag, "a1", "a2");
        var starts = UseEagerStarts(idle: 5);

        await CompleteAsync(rows["a1"].Id, 1, output: "x");
        await starts.SettledAsync();
        Assert.Empty(starts.Reserved);
        Assert.Equal(TaskState.Pending, (await RowAsync(rows["b"].Id)).Status);
        await CompleteAsync(rows["a2"].Id, 1, output: "y");
        await starts.SettledAsync();

        var b = Assert.Single(starts.Started);
        Assert.Equal((rows["b"].Id, "Join x and y.", TaskState.Running), (b.Id, b.Instruction, b.Status));
        AssertFoldsToRow(await RowAsync(b.Id), await EventsAsync(b.Id));
    }

    [Fact]
    public async Task FanOut_WithRoomForSome_StartsThoseAndQueuesTheRest()
    {
        var dag = Dag(FailurePolicy.FailFast, Node("a", "Plan."), Node("b1", "Part 1 of {{tasks.a.output}}.", "a"),
            Node("b2", "Part 2 of {{tasks.a.output}}.", "a"), Node("b3", "Part 3 of {{tasks.a.output}}.", "a"));
        var rows = await SubmitAndClaimRootsAsync(dag, "a");
        var starts = UseEagerStarts(idle: 2);

        var outcome = await CompleteAsync(rows["a"].Id, 1, output: "the plan");
        await starts.SettledAsync();

        Assert.Equal(2, starts.Started.Count);
        var queued = Assert.Single(outcome.Dispatch);
        var parts = new[] { "b1", "b2", "b3" }.Select(k => rows[k].Id).ToHashSet();
        Assert.Equal(parts, starts.Started.Select(t => t.Id).Append(queued.Id).ToHashSet());
        Assert.Equal(TaskState.Queued, (await RowAsync(queued.Id)).Status);
        foreach (var id in parts)
        {
            AssertFoldsToRow(await RowAsync(id), await EventsAsync(id));
        }
        // The queued one is claimed the ordinary way.
        Assert.Equal(queued.Id, (await ClaimAsync(queued.Id)).Id);
    }

    [Fact]
    public async Task CompletingADependency_WithoutRoom_QueuesTheDependentAsBefore()
    {
        var dag = Dag(FailurePolicy.FailFast, Node("a", "First."), Node("b", "Then {{tasks.a.output}}.", "a"));
        var rows = await SubmitAndClaimRootsAsync(dag, "a");
        var starts = UseEagerStarts(idle: 0);

        var outcome = await CompleteAsync(rows["a"].Id, 1);
        await starts.SettledAsync();

        Assert.Equal([rows["b"].Id], outcome.Dispatch.Select(d => d.Id));
        Assert.Empty(starts.Started);
        Assert.Equal(TaskState.Queued, (await RowAsync(rows["b"].Id)).Status);
    }

    [Fact]
    public async Task ManyConcurrentCompletions_StartEachDependentOnce_AndEveryReservationIsStartedOrGivenBack()
    {
        const int Dags = 40;
        var dags = Enumerable.Range(0, Dags).Select(_ => Dag(FailurePolicy.FailFast, Node("a", "First."), Node("b", "Then {{tasks.a.output}}.", "a"))).ToList();
        var rows = new List<Dictionary<string, TaskRecord>>();
        foreach (var dag in dags)
        {
            rows.Add(await SubmitAndClaimRootsAsync(dag, "a"));
        }
        var starts = UseEagerStarts(idle: Dags / 2);

        // Together, so the writer commits them in shared groups; each completion is also applied twice (a duplicate
        // delivery), which the store answers as ignored; and submissions that repeat a task id break a constraint among
        // them, which fails their group as a whole (its claims with it) before its writes are run again apart.
        var completions = new List<Task<TransitionOutcome>>();
        var broken = new List<Task>();
        foreach (var r in rows)
        {
            completions.Add(CompleteAsync(r["a"].Id, 1));
            completions.Add(CompleteAsync(r["a"].Id, 1));
            if (completions.Count % 8 == 0)
            {
                var twice = Spec();
                broken.Add(Store.SubmitTasksAsync([twice, twice], null, Ct));
            }
        }
        var outcomes = await Task.WhenAll(completions);
        await starts.SettledAsync();
        foreach (var call in broken)
        {
            await Assert.ThrowsAnyAsync<Exception>(() => call);
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"{starts.Released.Count} reservation(s) given back by failed groups.");

        var dependents = rows.Select(r => r["b"].Id).ToHashSet();
        Assert.Equal(Dags / 2, starts.Started.Count);
        Assert.Equal(starts.Started.Count, starts.Started.Select(t => t.Id).Distinct().Count());
        Assert.Equal(starts.Reserved.Count, starts.Started.Count + starts.Released.Count);
        var dispatched = outcomes.SelectMany(o => o.Dispatch).Select(d => d.Id).ToList();
        Assert.Equal(dependents, starts.Started.Select(t => t.Id).Concat(dispatched).ToHashSet());
        Assert.Equal(Dags, starts.Started.Count + dispatched.Count);
        foreach (var id in dependents)
        {
            var row = await RowAsync(id);
            Assert.Equal(starts.Started.Any(t => t.Id == id) ? TaskState.Running : TaskState.Queued, row.Status);
            AssertFoldsToRow(row, await EventsAsync(id));
        }
    }

    /// <summary>A fixed number of takers; records what the store reserved, started and gave back.</summary>
    protected sealed class RecordingStarts(int idle) : IEagerStarts
    {
        public const string WorkerName = "eager-worker";

        private readonly Lock _lock = new();
        private int _idle = idle;

        public string Worker => WorkerName;

        public List<Guid> Reserved { get; } = [];

        public List<TaskRecord> Started { get; } = [];

        public List<Guid> Released { get; } = [];

        /// <summary>
        /// Waits until every reservation was started or given back: a store hands claimed tasks over just after it
        /// answers its callers.
        /// </summary>
        public async Task SettledAsync()
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (true)
            {
                lock (_lock)
                {
                    if (Reserved.Count == Started.Count + Released.Count)
                    {
                        return;
                    }
                }
                Assert.True(DateTime.UtcNow < deadline, "A reservation was neither started nor given back within 10 s.");
                await Task.Delay(5);
            }
        }

        public bool TryReserve(in DispatchItem item)
        {
            lock (_lock)
            {
                if (_idle == 0)
                {
                    return false;
                }
                _idle--;
                Reserved.Add(item.Id);
                return true;
            }
        }

        public void Start(in DispatchItem item, TaskRecord task)
        {
            lock (_lock)
            {
                Started.Add(task);
            }
        }

        public void Release(in DispatchItem item)
        {
            lock (_lock)
            {
                _idle++;
                Released.Add(item.Id);
            }
        }
    }
}
