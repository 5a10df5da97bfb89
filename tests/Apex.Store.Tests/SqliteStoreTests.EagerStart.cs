using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tasks;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Apex.Store.Tests;

/// <summary>
/// Eager starts on the embedded store: a write that makes a task ready claims it for a reserved idle worker in the same
/// transaction, and hands it over only once committed; a write that is not committed gives its reservations back.
/// </summary>
public sealed partial class SqliteStoreTests
{
    private RecordingStarts Use(int idleWorkers)
    {
        var starts = new RecordingStarts(idleWorkers);
        ((IEagerStartStore)Store).UseEagerStarts(starts);
        return starts;
    }

    [Fact]
    public async Task Submit_WithAnIdleWorker_ClaimsTheTaskInTheSameWrite()
    {
        var starts = Use(idleWorkers: 1);
        var spec = Spec();

        var outcome = await Store.SubmitTasksAsync([spec], null, Ct);

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
        var starts = Use(idleWorkers: 2);
        var low = Spec(priority: 0);
        var high = Spec(priority: 5);
        var middle = Spec(priority: 1);

        var outcome = await Store.SubmitTasksAsync([low, high, middle], null, Ct);

        Assert.Equal([high.Id, middle.Id], starts.Started.Select(t => t.Id));
        Assert.Equal([low.Id], outcome.Dispatch.Select(d => d.Id));
        Assert.Equal([TaskState.Queued, TaskState.Running, TaskState.Running], outcome.Tasks.Select(t => t.Status));
        Assert.Equal(TaskState.Queued, (await RowAsync(low.Id)).Status);
    }

    [Fact]
    public async Task Submit_WithoutAnIdleWorker_DispatchesAsBefore()
    {
        var starts = Use(idleWorkers: 0);
        var spec = Spec();

        var outcome = await Store.SubmitTasksAsync([spec], null, Ct);

        Assert.Equal([spec.Id], outcome.Dispatch.Select(d => d.Id));
        Assert.Empty(starts.Started);
        Assert.Equal(TaskState.Queued, (await RowAsync(spec.Id)).Status);
    }

    [Fact]
    public async Task CompletingADependency_StartsTheDependentInTheSameCommit()
    {
        var dag = Dag(FailurePolicy.FailFast, Node("a", "First."), Node("b", "Then {{tasks.a.output}}.", "a"));
        var starts = Use(idleWorkers: 1);
        await Store.SubmitDagAsync(dag, null, Ct);
        var a = Assert.Single(starts.Started);
        starts.Free(1);
        var before = Bus.Published.Count;

        var outcome = await CompleteAsync(a.Id, 1, output: "done");

        Assert.Empty(outcome.Dispatch);
        var b = starts.Started[^1];
        Assert.Equal((dag.Tasks[1].Id, "Then done.", TaskState.Running), (b.Id, b.Instruction, b.Status));
        // One commit: the dependency's end, the dependent's promotion and its start carry the same commit time.
        var committed = Bus.Published.Skip(before).Where(e => e.AggregateType == EventTypes.Task).ToList();
        Assert.Equal([EventTypes.TaskSucceeded, EventTypes.TaskQueued, EventTypes.TaskStarted], Types(committed));
        Assert.Single(committed.Select(e => e.CreatedAt).Distinct());
        AssertFoldsToRow(await RowAsync(b.Id), await EventsAsync(b.Id));
    }

    [Fact]
    public async Task WritesRefusedInTheSameBatch_GiveTheirReservationsBack_AndOnlyCommittedClaimsStart()
    {
        var starts = Use(idleWorkers: 1_000);
        var good = Enumerable.Range(0, 200).Select(_ => Spec()).ToArray();
        var duplicated = Enumerable.Range(0, 10).Select(_ => Spec()).ToArray();

        // Started together, so the writer finds them waiting and commits them in shared batches: a refused write rolls
        // the optimistic batch back (every claim in it) before the batch runs again write by write.
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
            catch (SqliteException)
            {
            }
        }

        Assert.Equal(good.Select(t => t.Id).Order(), starts.Started.Select(t => t.Id).Order());
        Assert.Equal(starts.Reserved.Count, starts.Started.Count + starts.Released.Count);
        TestContext.Current.TestOutputHelper?.WriteLine($"{starts.Released.Count} reservation(s) given back by rolled-back batches.");
        foreach (var task in good)
        {
            Assert.Equal(TaskState.Running, (await RowAsync(task.Id)).Status);
        }
    }

    /// <summary>A fixed number of idle workers; records what the store reserved, started and gave back.</summary>
    private sealed class RecordingStarts(int idleWorkers) : IEagerStarts
    {
        public const string WorkerName = "eager-worker";

        private readonly Lock _lock = new();
        private int _idle = idleWorkers;

        public string Worker => WorkerName;

        public List<Guid> Reserved { get; } = [];

        public List<TaskRecord> Started { get; } = [];

        public List<Guid> Released { get; } = [];

        public void Free(int workers)
        {
            lock (_lock)
            {
                _idle += workers;
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
