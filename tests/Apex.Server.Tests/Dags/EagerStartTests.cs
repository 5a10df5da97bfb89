using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Dags;

/// <summary>
/// Embedded eager starts (<c>Apex:Engine:EagerStart</c>), through the API: with a worker idle, the write that makes a
/// task ready also claims it, so a submission is answered already running and a DAG's dependent starts in the commit
/// that ended its dependency.
/// </summary>
public sealed class EagerStartTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Submit_WithAnIdleWorker_IsAnsweredAlreadyRunning_InTheCommitThatCreatedIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApexAppFactory();
        using var client = factory.CreateClient();
        await WarmUpAsync(client, ct);

        var created = await client.CreateTaskAsync(TaskRequest("Summarise the report."), ct);

        Assert.Equal((TaskState.Running, 1), (created.Status, created.Attempt));
        await client.WaitForTaskAsync(created.Id, Deadline, ct);
        var events = await client.GetTaskEventsAsync(created.Id, ct);
        Assert.Equal([EventTypes.TaskCreated, EventTypes.TaskStarted, EventTypes.TaskSucceeded], events.Select(e => e.EventType));
        Assert.Equal(events[0].CreatedAt, events[1].CreatedAt);
    }

    [Fact]
    public async Task Submit_WithEagerStartOff_IsAnsweredQueued()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApexAppFactory(new Dictionary<string, string?> { ["Apex:Engine:EagerStart"] = "false" });
        using var client = factory.CreateClient();
        await WarmUpAsync(client, ct);

        var created = await client.CreateTaskAsync(TaskRequest("Summarise the report."), ct);

        Assert.Equal((TaskState.Queued, 0), (created.Status, created.Attempt));
        Assert.Equal(TaskState.Succeeded, (await client.WaitForTaskAsync(created.Id, Deadline, ct)).Status);
    }

    [Fact]
    public async Task DagDependent_StartsInTheCommitThatEndedItsDependency()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApexAppFactory();
        using var client = factory.CreateClient();
        var created = await client.CreateDagAsync(Dag(Node("a", "Research."), Node("b", "Summarise {{tasks.a.output}}", "a")), ct);

        var dag = await client.WaitForDagAsync(created.Id, Deadline, ct);

        var ids = dag.Tasks!.ToDictionary(t => t.Key, t => t.Id);
        var succeeded = (await client.GetTaskEventsAsync(ids["a"], ct)).Single(e => e.EventType == EventTypes.TaskSucceeded);
        var dependent = await client.GetTaskEventsAsync(ids["b"], ct);
        var queued = dependent.Single(e => e.EventType == EventTypes.TaskQueued);
        var started = dependent.Single(e => e.EventType == EventTypes.TaskStarted);
        // One write: the dependency's end, then the dependent's promotion and its claim, one commit time.
        Assert.Equal([succeeded.Seq + 1, succeeded.Seq + 2], [queued.Seq, started.Seq]);
        Assert.Equal(succeeded.CreatedAt, started.CreatedAt);
    }

    /// <summary>Runs one task to the end, so the worker loops are waiting for work when the test submits.</summary>
    private static async Task WarmUpAsync(HttpClient client, CancellationToken ct)
    {
        var warmUp = await client.CreateTaskAsync(TaskRequest("Warm up."), ct);
        Assert.Equal(TaskState.Succeeded, (await client.WaitForTaskAsync(warmUp.Id, Deadline, ct)).Status);
    }
}
