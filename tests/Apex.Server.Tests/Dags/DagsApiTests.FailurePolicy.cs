using Apex.Contracts;
using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Server.Tests.Conformance;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Dags;

public abstract partial class DagsApiTests
{
    private static readonly TimeSpan IdleDeadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task FailFast_TaskFails_SkipsDependentsCancelsRunningSiblingAndLeavesEngineIdle()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        var created = await client.CreateDagAsync(FailingDag(FailurePolicy.FailFast), ct);

        var dag = await client.WaitForDagAsync(created.Id, Deadline, ct);

        Assert.Equal(DagState.Failed, dag.Status);
        var tasks = await GetTasksAsync(client, dag, ct);
        Assert.Equal(TaskState.Succeeded, tasks["gate"].Status);
        Assert.Equal(TaskState.Failed, tasks["bad"].Status);
        Assert.Equal("provider_error", tasks["bad"].Error?.Code);
        Assert.Equal(1, tasks["bad"].Attempt);
        Assert.All([tasks["dep1"], tasks["dep2"]], t =>
        {
            Assert.Equal(TaskState.Skipped, t.Status);
            Assert.Equal("dependency_failed", t.Error?.Code);
            Assert.Equal(0, t.Attempt);
        });
        Assert.Equal(TaskState.Cancelled, tasks["slow"].Status);
        Assert.Equal(1, tasks["slow"].Attempt);

        // The cancelled sibling asked for 30 s of latency: an idle engine within 10 s proves its execution was stopped.
        await server.WaitForIdleAsync(IdleDeadline, ct);
        var events = await CountDagEventsAsync(client, created.Id, ct);
        // The one bounded wait of the suite: proving that nothing happens needs an observation window. Anything left
        // running (a retry timer, a late result, a re-dispatch) would append an event well within 300 ms.
        await Task.Delay(TimeSpan.FromMilliseconds(300), ct);
        Assert.Equal(events, await CountDagEventsAsync(client, created.Id, ct));
        Assert.Equal(DagState.Failed, (await client.GetDagAsync(created.Id, ct)).Status);
    }

    [Fact]
    public async Task Continue_TaskFails_SkipsOnlyItsDescendantsAndOtherBranchesSucceed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        var created = await client.CreateDagAsync(Dag(FailurePolicy.Continue,
            Node("bad", "Break. [[simulate:error]]") with { MaxAttempts = 1 },
            Node("child", "Use {{tasks.bad.output}}.", "bad"),
            Node("grandchild", "Use {{tasks.child.output}}.", "child"),
            Node("ok1", "Slow start. [[simulate:delay=1000]]"),
            Node("ok2", "Use {{tasks.ok1.output}}.", "ok1")), ct);

        var dag = await client.WaitForDagAsync(created.Id, Deadline, ct);

        Assert.Equal(DagState.Failed, dag.Status);
        Assert.Equal(FailurePolicy.Continue, dag.FailurePolicy);
        var tasks = await GetTasksAsync(client, dag, ct);
        Assert.Equal(TaskState.Failed, tasks["bad"].Status);
        Assert.All([tasks["child"], tasks["grandchild"]], t =>
        {
            Assert.Equal(TaskState.Skipped, t.Status);
            Assert.Equal("dependency_failed", t.Error?.Code);
        });
        Assert.Equal(TaskState.Succeeded, tasks["ok1"].Status);
        Assert.Equal(TaskState.Succeeded, tasks["ok2"].Status);
        Assert.True(tasks["ok2"].StartedAt >= tasks["bad"].FinishedAt,
            $"ok2 started at {tasks["ok2"].StartedAt:O}, before bad failed at {tasks["bad"].FinishedAt:O}: the branch did not outlive the failure.");
    }

    [Theory]
    [InlineData(FailurePolicy.FailFast)]
    [InlineData(FailurePolicy.Continue)]
    public async Task GetTaskEvents_FinishedDag_EveryTaskHasExactlyOneTerminalEventMatchingItsStatus(FailurePolicy policy)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        var created = await client.CreateDagAsync(FailingDag(policy), ct);
        var dag = await client.WaitForDagAsync(created.Id, Deadline, ct);
        await server.WaitForIdleAsync(IdleDeadline, ct);

        var tasks = await GetTasksAsync(client, dag, ct);
        var expected = policy == FailurePolicy.FailFast ? TaskState.Cancelled : TaskState.Succeeded;
        Assert.Equal(expected, tasks["slow"].Status);
        foreach (var (key, task) in tasks)
        {
            var events = await client.GetTaskEventsAsync(task.Id, ct);
            var terminal = events.Where(e => EventTypes.IsTerminal(e.EventType)).ToList();
            Assert.True(terminal.Count == 1, $"{key} ({task.Status}) has terminal events [{string.Join(", ", terminal.Select(e => e.EventType))}].");
            Assert.Equal($"task_{task.Status.ToString().ToLowerInvariant()}", terminal[0].EventType);
            Assert.Equal(Enumerable.Range(1, events.Count), events.Select(e => e.Version));
        }
    }

    /// <summary>
    /// gate (1 s) → bad (fails at once, one attempt) → dep1 → dep2, and an independent sibling: 30 s under fail_fast, so it
    /// is running when bad fails and only a cancel ends it; 300 ms under continue, where it simply succeeds.
    /// </summary>
    private static CreateDagRequest FailingDag(FailurePolicy policy) => Dag(policy,
        Node("gate", "Warm up. [[simulate:delay=1000]]"),
        Node("bad", "Break. [[simulate:error]]", "gate") with { MaxAttempts = 1 },
        Node("dep1", "Use {{tasks.bad.output}}.", "bad"),
        Node("dep2", "Use {{tasks.dep1.output}}.", "dep1"),
        Node("slow", policy == FailurePolicy.FailFast ? "Dawdle. [[simulate:delay=30000]]" : "Dawdle. [[simulate:delay=300]]"));

    private static async Task<Dictionary<string, TaskResponse>> GetTasksAsync(HttpClient client, DagResponse dag, CancellationToken cancellationToken)
    {
        var tasks = new Dictionary<string, TaskResponse>(StringComparer.Ordinal);
        foreach (var summary in dag.Tasks!)
        {
            tasks[summary.Key] = await client.GetTaskAsync(summary.Id, cancellationToken);
        }
        return tasks;
    }

    private static async Task<int> CountDagEventsAsync(HttpClient client, Guid dagId, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync($"/api/v1/dags/{dagId}/events?limit=500", cancellationToken);
        var page = await response.ReadAsync(ApexJsonContext.Default.PageTaskEventResponse, cancellationToken);
        Assert.Null(page.NextCursor);
        return page.Items.Count;
    }
}
