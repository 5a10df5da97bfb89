using Apex.Contracts.Tasks;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Tasks;

/// <summary>
/// The in-process queue's order, embedded only: it needs a server with one in-process worker. In distributed mode the
/// order is the dispatcher's claims from the store (StoreConformanceTests.ClaimNext_TakesHighestPriorityFirstThenOldest,
/// on both stores), and the same scenario would need a one-slot worker process of its own.
/// </summary>
public sealed class EmbeddedDispatchTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Dispatch_HigherPriorityWaitingBehindBlocker_StartsBeforeEarlierLowerPriority()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApexAppFactory(new Dictionary<string, string?> { ["Apex:Engine:MaxConcurrency"] = "1" });
        using var client = factory.CreateClient();
        var blocker = await client.CreateTaskAsync(TaskRequest("Block the only worker. [[simulate:delay=30000]]"), ct);
        await client.WaitForTaskAsync(blocker.Id, new HashSet<TaskState> { TaskState.Running }, Deadline, ct);
        var low = await client.CreateTaskAsync(TaskRequest("Low. [[simulate:delay=50]]", priority: 0), ct);
        var high = await client.CreateTaskAsync(TaskRequest("High. [[simulate:delay=50]]", priority: 10), ct);
        Assert.Equal(TaskState.Queued, (await client.GetTaskAsync(low.Id, ct)).Status);

        // Cancelling the blocker frees the only worker with both tasks waiting: no timing decides the order.
        (await client.PostAsync($"/api/v1/tasks/{blocker.Id}/cancel", null, ct)).EnsureSuccessStatusCode();

        var lowDone = await client.WaitForTaskAsync(low.Id, Deadline, ct);
        var highDone = await client.WaitForTaskAsync(high.Id, Deadline, ct);
        Assert.Equal(TaskState.Succeeded, lowDone.Status);
        Assert.Equal(TaskState.Succeeded, highDone.Status);
        Assert.True(highDone.StartedAt < lowDone.StartedAt,
            $"high started at {highDone.StartedAt:O}, low (submitted first) at {lowDone.StartedAt:O}.");
        Assert.True(highDone.FinishedAt <= lowDone.StartedAt, "With one worker, low must start only after high finished.");
    }
}
