using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tasks;
using Xunit;

namespace Apex.Store.Tests;

public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task MixedWorkload_EveryTaskFoldsToItsRowAndPublishedEventsAreTheStoredOnes()
    {
        var standalone = new List<Guid>();
        for (var i = 0; i < 8; i++)
        {
            standalone.Add((await SubmitAsync(Spec(priority: i % 3, maxAttempts: 2, metadata: new Dictionary<string, string> { ["n"] = $"{i}" }))).Id);
        }
        var failFast = Dag(FailurePolicy.FailFast, Node("a", "A."), Node("b", "B {{tasks.a.output}}", "a"), Node("c", "C."));
        var keepGoing = Dag(FailurePolicy.Continue, Node("a", "A."), Node("b", "B.", "a"), Node("c", "C {{tasks.a.output}}", "a"));
        await Store.SubmitDagAsync(failFast, null, Ct);
        await Store.SubmitDagAsync(keepGoing, new IdempotencyKey("k", "h"), Ct);

        for (var round = 0; round < 6; round++)
        {
            Time.Advance(TimeSpan.FromMilliseconds(round * 37 + 1));
            var claimed = await Store.ClaimNextAsync(4, $"w{round}", Ct);
            for (var i = 0; i < claimed.Count; i++)
            {
                var task = claimed[i];
                var usage = new UsageDelta(i + 1, round, 0.001m * (i + 1), 1);
                switch ((round + i) % 6)
                {
                    case 0:
                        await CompleteAsync(task.Id, task.Attempt, output: $"out {round}.{i}", usage: usage);
                        break;
                    case 1:
                        await CompleteAsync(task.Id, task.Attempt, AttemptOutcome.RetryScheduled, usage: usage, retryAt: Time.GetUtcNow());
                        break;
                    case 2:
                        await CompleteAsync(task.Id, task.Attempt, AttemptOutcome.Failed, usage: usage);
                        break;
                    case 3:
                        await Store.RequeueAsync(task.Id, task.Attempt, "lease_expired", Ct);
                        await CompleteAsync(task.Id, task.Attempt, output: "stale", usage: usage);
                        break;
                    case 4:
                        await Store.CancelTaskAsync(Tenant, task.Id, Ct);
                        break;
                    default:
                        break;
                }
            }
        }
        foreach (var id in standalone)
        {
            if ((await RowAsync(id)).Status is TaskState.Failed or TaskState.Cancelled)
            {
                await Store.RetryTaskAsync(Tenant, id, 1, Ct);
            }
        }
        await Store.RecoverAsync("restarted", Ct);

        var all = new List<TaskRecord>();
        string? cursor = null;
        do
        {
            var page = await Store.ListTasksAsync(new TaskQuery { TenantId = Tenant, Limit = 5, Cursor = cursor }, Ct);
            all.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        Assert.Equal(14, all.Count);
        var stored = new List<StoredEvent>();
        foreach (var row in all)
        {
            var events = await EventsAsync(row.Id);
            AssertFoldsToRow(row, events);
            Assert.Equal(row.Status.IsTerminal() ? 1 : 0, events.Count(e => EventTypes.IsTerminal(e.EventType)) - events.Count(e => e.EventType == EventTypes.TaskRetried));
            stored.AddRange(events);
        }
        foreach (var dag in new[] { failFast, keepGoing })
        {
            var record = await DagAsync(dag.Id);
            var dagEvents = await DagEventsAsync(dag.Id);
            Assert.Equal(dagEvents.Count, record.Version);
            stored.AddRange(dagEvents);
        }
        Assert.Equal(stored.OrderBy(e => e.Seq), Bus.Published.OrderBy(e => e.Seq));
        Assert.Equal(Bus.Published.Select(e => e.Seq).Order(), Bus.Published.Select(e => e.Seq));
    }
}
