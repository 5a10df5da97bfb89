using System.Net;
using Apex.Contracts;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Tasks;

public abstract partial class TasksApiTests
{
    [Fact]
    public async Task Cancel_RunningTask_EndsCancelledWithOneTerminalEventAndStopsTheExecution()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        var task = await client.CreateTaskAsync(TaskRequest("Take your time. [[simulate:delay=30000]]"), ct);
        await server.WaitForRunningAsync(task.Id, Deadline, ct);

        using var response = await client.PostAsync($"/api/v1/tasks/{task.Id}/cancel", null, ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var answered = await response.ReadAsync(ApexJsonContext.Default.TaskResponse, ct);
        Assert.Equal(TaskState.Cancelled, answered.Status);
        Assert.Equal("cancelled", answered.Error?.Code);
        // 30 s of simulated latency: an idle engine within 10 s means the cancel reached the running attempt.
        await server.WaitForIdleAsync(TimeSpan.FromSeconds(10), ct);
        var after = await client.GetTaskAsync(task.Id, ct);
        Assert.Equal(TaskState.Cancelled, after.Status);
        Assert.Null(after.Output);
        var events = await client.GetTaskEventsAsync(task.Id, ct);
        Assert.Equal([EventTypes.TaskCancelled], events.Where(e => EventTypes.IsTerminal(e.EventType)).Select(e => e.EventType));
    }

    [Fact]
    public async Task Cancel_QueuedTaskWaitingForItsRetry_EndsCancelledAndNeverRunsAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        // A backoff of minutes keeps the task queued after its first attempt timed out: queued on both backends, not
        // claimed by a free worker a moment later.
        await using var server = await backend.StartAsync(new Dictionary<string, string?>
        {
            ["Apex:Retry:BaseDelay"] = "00:05:00",
            ["Apex:Retry:MaxDelay"] = "00:05:00",
        });
        var client = server.Client;
        var task = await client.CreateTaskAsync(
            TaskRequest("Too slow for its limit. [[simulate:delay=3000]]") with { MaxAttempts = 2, Limits = new TaskLimits { TimeLimitSeconds = 1 } }, ct);
        var waiting = await ApexHttp.PollAsync(async () =>
            await client.GetTaskAsync(task.Id, ct) is { Status: TaskState.Queued, Attempt: 1 } t ? t : null, Deadline, ct);
        Assert.NotNull(waiting);
        Assert.Equal("timeout", waiting.Error?.Code);

        using var response = await client.PostAsync($"/api/v1/tasks/{task.Id}/cancel", null, ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(TaskState.Cancelled, (await response.ReadAsync(ApexJsonContext.Default.TaskResponse, ct)).Status);
        await server.WaitForIdleAsync(Deadline, ct);
        var after = await client.GetTaskAsync(task.Id, ct);
        Assert.Equal(TaskState.Cancelled, after.Status);
        Assert.Equal(1, after.Attempt);
        var events = await client.GetTaskEventsAsync(task.Id, ct);
        Assert.Equal([EventTypes.TaskCreated, EventTypes.TaskStarted, EventTypes.TaskRetryScheduled, EventTypes.TaskCancelled], events.Select(e => e.EventType));
    }

    [Fact]
    public async Task Cancel_FinishedTask_Returns409()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
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
        await using var server = await backend.StartAsync();
        var client = server.Client;
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
        await using var server = await backend.StartAsync();
        var client = server.Client;
        var task = await client.CreateTaskAsync(TaskRequest("Fine."), ct);
        await client.WaitForTaskAsync(task.Id, Deadline, ct);

        var problem = await Problem.ReadAsync(await client.PostAsync($"/api/v1/tasks/{task.Id}/retry", null, ct), ct);

        Assert.Equal(HttpStatusCode.Conflict, problem.Status);
        Assert.Equal("task_not_retryable", problem.Code);
    }
}
