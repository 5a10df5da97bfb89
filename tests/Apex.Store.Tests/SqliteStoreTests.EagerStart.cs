using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tasks;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Apex.Store.Tests;

/// <summary>
/// Eager starts only the embedded store makes (submissions), and its rollback of a refused write's claims; the DAG
/// propagation both stores share is in <see cref="StoreConformanceTests"/>.
/// </summary>
public sealed partial class SqliteStoreTests
{
    [Fact]
    public async Task Submit_WithAnIdleWorker_ClaimsTheTaskInTheSameWrite()
    {
        var starts = UseEagerStarts(idle: 1);
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
        var starts = UseEagerStarts(idle: 2);
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
        var starts = UseEagerStarts(idle: 0);
        var spec = Spec();

        var outcome = await Store.SubmitTasksAsync([spec], null, Ct);

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
}
