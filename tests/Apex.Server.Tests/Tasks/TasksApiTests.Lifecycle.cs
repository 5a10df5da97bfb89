using System.Net;
using Apex.Contracts;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Tasks;

public sealed partial class TasksApiTests
{
    private static readonly IReadOnlySet<TaskState> Running = new HashSet<TaskState> { TaskState.Running };

    [Fact]
    public async Task Cancel_RunningTask_EndsCancelledWithOneTerminalEventAndStopsTheExecution()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApexAppFactory();
        using var client = factory.CreateClient();
        var task = await client.CreateTaskAsync(TaskRequest("Take your time. [[simulate:delay=30000]]"), ct);
        await client.WaitForTaskAsync(task.Id, Running, Deadline, ct);

        using var response = await client.PostAsync($"/api/v1/tasks/{task.Id}/cancel", null, ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var answered = await response.ReadAsync(ApexJsonContext.Default.TaskResponse, ct);
        Assert.Equal(TaskState.Cancelled, answered.Status);
        Assert.Equal("cancelled", answered.Error?.Code);
        // 30 s of simulated latency: an idle engine within 10 s means the cancel reached the running attempt.
        await client.WaitForIdleAsync(TimeSpan.FromSeconds(10), ct);
        var after = await client.GetTaskAsync(task.Id, ct);
        Assert.Equal(TaskState.Cancelled, after.Status);
        Assert.Null(after.Output);
        var events = await client.GetTaskEventsAsync(task.Id, ct);
        Assert.Equal([EventTypes.TaskCancelled], events.Where(e => EventTypes.IsTerminal(e.EventType)).Select(e => e.EventType));
    }

    [Fact]
    public async Task Cancel_FinishedTask_Returns409()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApexAppFactory();
        using var client = factory.CreateClient();
        var task = await client.CreateTaskAsync(TaskRequest("Quick."), ct);
        Assert.Equal(TaskState.Succeeded, (await client.WaitForTaskAsync(task.Id, Deadline, ct)).Status);

        var problem = await Problem.ReadAsync(await client.PostAsync($"/api/v1/tasks/{task.Id}/cancel", null, ct), ct);

        Assert.Equal(HttpStatusCode.Conflict, problem.Status);
        Assert.Equal("application/problem+json", problem.ContentType);
        Assert.Equal("task_not_cancellable", problem.Code);
        Assert.Equal(TaskState.Succeeded, (await client.GetTaskAsync(task.Id, ct)).Status);
    }

    [Fact]
    public async Task Retry_FailedStandaloneTask_RunsAgainAsTheNextAttempt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApexAppFactory();
        using var client = factory.CreateClient();
        var task = await client.CreateTaskAsync(TaskRequest("Fail. [[simulate:error]]") with { MaxAttempts = 1 }, ct);
        var failed = await client.WaitForTaskAsync(task.Id, Deadline, ct);
        Assert.Equal(TaskState.Failed, failed.Status);
        Assert.Equal(1, failed.Attempt);
        Assert.Equal("provider_error", failed.Error?.Code);

        using var response = await client.PostAsync($"/api/v1/tasks/{task.Id}/retry", null, ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var retried = await client.WaitForTaskAsync(task.Id, new HashSet<TaskState> { TaskState.Failed, TaskState.Succeeded },
            Deadline, ct);
        // The simulated error is deterministic, so the second attempt fails too; what matters is that it ran.
        Assert.Equal(TaskState.Failed, retried.Status);
        Assert.Equal(2, retried.Attempt);
        Assert.True(retried.MaxAttempts >= 2);
        var events = await client.GetTaskEventsAsync(task.Id, ct);
        Assert.Contains(events, e => e.EventType == EventTypes.TaskRetried);
        Assert.Equal([1, 2], events.Where(e => e.EventType == EventTypes.TaskStarted).Select(e => e.Data.GetProperty("attempt").GetInt32()));
        Assert.Equal(2, events.Count(e => e.EventType == EventTypes.TaskFailed));
        Assert.Equal(EventTypes.TaskFailed, events[^1].EventType);
    }

    [Fact]
    public async Task Retry_SucceededTask_Returns409()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApexAppFactory();
        using var client = factory.CreateClient();
        var task = await client.CreateTaskAsync(TaskRequest("Fine."), ct);
        await client.WaitForTaskAsync(task.Id, Deadline, ct);

        var problem = await Problem.ReadAsync(await client.PostAsync($"/api/v1/tasks/{task.Id}/retry", null, ct), ct);

        Assert.Equal(HttpStatusCode.Conflict, problem.Status);
        Assert.Equal("task_not_retryable", problem.Code);
    }

    [Fact]
    public async Task Dispatch_HigherPriorityWaitingBehindBlocker_StartsBeforeEarlierLowerPriority()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApexAppFactory(new Dictionary<string, string?> { ["Apex:Engine:MaxConcurrency"] = "1" });
        using var client = factory.CreateClient();
        var blocker = await client.CreateTaskAsync(TaskRequest("Block the only worker. [[simulate:delay=30000]]"), ct);
        await client.WaitForTaskAsync(blocker.Id, Running, Deadline, ct);
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
