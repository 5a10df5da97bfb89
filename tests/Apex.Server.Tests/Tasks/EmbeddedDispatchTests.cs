using System.Net;
using System.Net.Http.Json;
using Apex.Contracts;
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

    [Fact]
    public async Task Cancel_TaskWaitingForItsRetry_LeavesTheQueueAtOnceAndFreesItsPlaceInTheBudget()
    {
        var ct = TestContext.Current.CancellationToken;
        // A backoff of minutes keeps the task delayed in the queue after its first attempt timed out; the queue holds one.
        await using var factory = new ApexAppFactory(new Dictionary<string, string?>
        {
            ["Apex:Engine:MaxQueuedTasks"] = "1",
            ["Apex:Retry:BaseDelay"] = "00:05:00",
            ["Apex:Retry:MaxDelay"] = "00:05:00",
        });
        using var client = factory.CreateClient();
        var task = await client.CreateTaskAsync(
            TaskRequest("Too slow for its limit. [[simulate:delay=3000]]") with { MaxAttempts = 2, Limits = new TaskLimits { TimeLimitSeconds = 1 } }, ct);
        var delayed = await ApexHttp.PollAsync(async () =>
            await client.GetHealthAsync(ct) is { Components.Queue: { Depth: 1, Delayed: 1 } } h ? h : null, Deadline, ct);
        Assert.NotNull(delayed);
        var waiting = await client.GetTaskAsync(task.Id, ct);
        Assert.Equal((TaskState.Queued, 1, "timeout"), (waiting.Status, waiting.Attempt, waiting.Error?.Code));
        var full = await Problem.ReadAsync(await client.PostAsJsonAsync("/api/v1/tasks", TaskRequest("Next."), ApexJsonContext.Default.CreateTaskRequest, ct), ct);
        Assert.Equal((HttpStatusCode.TooManyRequests, "queue_full"), (full.Status, full.Code));

        (await client.PostAsync($"/api/v1/tasks/{task.Id}/cancel", null, ct)).EnsureSuccessStatusCode();

        // At once: the cancel answered after the queue dropped the task, so no polling here.
        var queue = (await client.GetHealthAsync(ct)).Components.Queue;
        Assert.Equal((0L, 0L), (queue.Depth, queue.Delayed));
        var next = await client.CreateTaskAsync(TaskRequest("Next."), ct);
        Assert.Equal(TaskState.Succeeded, (await client.WaitForTaskAsync(next.Id, Deadline, ct)).Status);
        var cancelled = await client.GetTaskAsync(task.Id, ct);
        Assert.Equal((TaskState.Cancelled, 1), (cancelled.Status, cancelled.Attempt));
    }
}
