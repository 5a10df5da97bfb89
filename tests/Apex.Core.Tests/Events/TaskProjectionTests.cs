using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Xunit;

namespace Apex.Core.Tests.Events;

public sealed class TaskProjectionTests
{
    private static readonly Guid TaskId = Guid.Parse("6f1c7e0a-0000-4000-8000-000000000001");
    private static readonly Guid DagId = Guid.Parse("6f1c7e0a-0000-4000-8000-000000000002");
    private static readonly DateTimeOffset Start = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private static readonly TaskError RateLimited = new("rate_limited", "The provider said 429.");

    private readonly List<StoredEvent> _events = [];

    [Fact]
    public void Fold_NoEvents_ReturnsNull()
    {
        Assert.Null(TaskProjection.Fold([]));
    }

    [Fact]
    public void Fold_FirstEventIsNotTaskCreated_Throws()
    {
        Append(EventTypes.TaskQueued, new TaskQueuedData("x"), CoreJsonContext.Default.TaskQueuedData);

        Assert.Throws<InvalidOperationException>(() => TaskProjection.Fold(_events));
    }

    [Fact]
    public void Fold_CreatedOnly_ReproducesSubmittedTask()
    {
        var limits = new TaskLimits { TokenLimit = 10, CostLimit = 0.5m, TimeLimitSeconds = 30, ApiCallLimit = 2 };
        Append(EventTypes.TaskCreated, new TaskCreatedData
        {
            DagId = DagId,
            Key = "summarise",
            Name = "Summarise",
            Instruction = "Summarise {{tasks.fetch.output}}",
            Agent = "writer",
            Status = TaskState.Pending,
            Priority = 7,
            MaxAttempts = 4,
            Limits = limits,
            Metadata = new Dictionary<string, string> { ["team"] = "docs" },
            DependsOn = ["fetch"],
        }, CoreJsonContext.Default.TaskCreatedData);

        var task = TaskProjection.Fold(_events);

        Assert.NotNull(task);
        Assert.Equal((TaskId, DagId, "summarise", "Summarise", "writer"), (task.Id, task.DagId, task.Key, task.Name, task.Agent));
        Assert.Equal("Summarise {{tasks.fetch.output}}", task.Instruction);
        Assert.Equal((TaskState.Pending, 7, 4, 0), (task.Status, task.Priority, task.MaxAttempts, task.Attempt));
        Assert.Equal(limits, task.Limits);
        Assert.Equal("docs", Assert.Single(task.Metadata!).Value);
        Assert.Equal(Start, task.CreatedAt);
        Assert.Equal(1, task.Version);
    }

    [Fact]
    public void Fold_RetriedThenSucceeded_SumsUsageOfBothAttempts()
    {
        AppendCreated(TaskState.Pending);
        Append(EventTypes.TaskQueued, new TaskQueuedData("Summarise ALPHA"), CoreJsonContext.Default.TaskQueuedData);
        Append(EventTypes.TaskStarted, new TaskStartedData(1, "w1"), CoreJsonContext.Default.TaskStartedData);
        Append(EventTypes.TaskRetryScheduled,
            new TaskRetryScheduledData(1, RateLimited, Start.AddMinutes(5), new UsageDelta(100, 20, 0.000123m, 1)),
            CoreJsonContext.Default.TaskRetryScheduledData);
        var secondStart = Append(EventTypes.TaskStarted, new TaskStartedData(2, "w2"), CoreJsonContext.Default.TaskStartedData);
        var succeeded = Append(EventTypes.TaskSucceeded,
            new TaskSucceededData(2, "A summary.", new UsageDelta(1_000, 300, 0.0045m, 2)),
            CoreJsonContext.Default.TaskSucceededData);

        var task = TaskProjection.Fold(_events);

        Assert.NotNull(task);
        Assert.Equal(TaskState.Succeeded, task.Status);
        Assert.Equal(2, task.Attempt);
        Assert.Equal("Summarise ALPHA", task.Instruction);
        Assert.Equal("A summary.", task.Output);
        Assert.Equal((1_100L, 320L, 3), (task.InputTokens, task.OutputTokens, task.ApiCalls));
        Assert.Equal(0.004623m, task.CostUsd);
        Assert.Null(task.ErrorCode);
        Assert.Null(task.ErrorMessage);
        Assert.Null(task.RunAt);
        Assert.Equal(secondStart.CreatedAt, task.StartedAt);
        Assert.Equal(succeeded.CreatedAt, task.FinishedAt);
        Assert.Equal(6, task.Version);
    }

    [Fact]
    public void Fold_RetryScheduled_QueuedUntilRunAtWithTheError()
    {
        AppendCreated(TaskState.Queued);
        Append(EventTypes.TaskStarted, new TaskStartedData(1, "w1"), CoreJsonContext.Default.TaskStartedData);
        var runAt = Start.AddSeconds(90);
        Append(EventTypes.TaskRetryScheduled, new TaskRetryScheduledData(1, RateLimited, runAt, UsageDelta.None),
            CoreJsonContext.Default.TaskRetryScheduledData);

        var task = TaskProjection.Fold(_events);

        Assert.NotNull(task);
        Assert.Equal(TaskState.Queued, task.Status);
        Assert.Equal(runAt, task.RunAt);
        Assert.Equal((RateLimited.Code, RateLimited.Message), (task.ErrorCode, task.ErrorMessage));
        Assert.Null(task.FinishedAt);
    }

    [Fact]
    public void Fold_StaleResultIgnored_AddsUsageButKeepsStatus()
    {
        AppendCreated(TaskState.Queued);
        Append(EventTypes.TaskStarted, new TaskStartedData(1, "w1"), CoreJsonContext.Default.TaskStartedData);
        Append(EventTypes.TaskRequeued, new TaskRequeuedData(1, "worker_lost"), CoreJsonContext.Default.TaskRequeuedData);
        Append(EventTypes.TaskStarted, new TaskStartedData(2, "w2"), CoreJsonContext.Default.TaskStartedData);
        Append(EventTypes.TaskResultIgnored,
            new TaskResultIgnoredData(1, "succeeded", "stale_attempt", new UsageDelta(40, 5, 0.25m, 1)),
            CoreJsonContext.Default.TaskResultIgnoredData);

        var task = TaskProjection.Fold(_events);

        Assert.NotNull(task);
        Assert.Equal(TaskState.Running, task.Status);
        Assert.Equal(2, task.Attempt);
        Assert.Null(task.Output);
        Assert.Equal((40L, 5L, 0.25m, 1), (task.InputTokens, task.OutputTokens, task.CostUsd, task.ApiCalls));
        Assert.Equal(5, task.Version);
    }

    [Fact]
    public void Fold_Requeued_ReturnsToQueuedKeepingAttempt()
    {
        AppendCreated(TaskState.Queued);
        Append(EventTypes.TaskStarted, new TaskStartedData(1, "w1"), CoreJsonContext.Default.TaskStartedData);
        Append(EventTypes.TaskRequeued, new TaskRequeuedData(1, "worker_lost"), CoreJsonContext.Default.TaskRequeuedData);

        var task = TaskProjection.Fold(_events);

        Assert.NotNull(task);
        Assert.Equal(TaskState.Queued, task.Status);
        Assert.Equal(1, task.Attempt);
        Assert.Null(task.RunAt);
    }

    [Theory]
    [InlineData(EventTypes.TaskFailed, TaskState.Failed)]
    [InlineData(EventTypes.TaskCancelled, TaskState.Cancelled)]
    [InlineData(EventTypes.TaskSkipped, TaskState.Skipped)]
    public void Fold_EndedWithError_TerminalWithErrorAndUsage(string eventType, TaskState status)
    {
        AppendCreated(TaskState.Queued);
        Append(EventTypes.TaskStarted, new TaskStartedData(1, "w1"), CoreJsonContext.Default.TaskStartedData);
        var ended = Append(eventType, new TaskEndedData(1, RateLimited, new UsageDelta(7, 3, 0.01m, 1)), CoreJsonContext.Default.TaskEndedData);

        var task = TaskProjection.Fold(_events);

        Assert.NotNull(task);
        Assert.Equal(status, task.Status);
        Assert.Equal(RateLimited.Code, task.ErrorCode);
        Assert.Equal(ended.CreatedAt, task.FinishedAt);
        Assert.Equal(0.01m, task.CostUsd);
    }

    [Fact]
    public void Fold_RetriedAfterFailure_QueuedAgainWithErrorCleared()
    {
        AppendCreated(TaskState.Queued);
        Append(EventTypes.TaskStarted, new TaskStartedData(1, "w1"), CoreJsonContext.Default.TaskStartedData);
        Append(EventTypes.TaskFailed, new TaskEndedData(1, RateLimited, new UsageDelta(7, 3, 0.01m, 1)), CoreJsonContext.Default.TaskEndedData);
        Append(EventTypes.TaskRetried, new TaskRetriedData(5, "Try again"), CoreJsonContext.Default.TaskRetriedData);

        var task = TaskProjection.Fold(_events);

        Assert.NotNull(task);
        Assert.Equal(TaskState.Queued, task.Status);
        Assert.Equal((5, "Try again"), (task.MaxAttempts, task.Instruction));
        Assert.Null(task.ErrorCode);
        Assert.Null(task.FinishedAt);
        Assert.Equal(0.01m, task.CostUsd);
        Assert.Equal(1, task.Attempt);
    }

    private void AppendCreated(TaskState status) =>
        Append(EventTypes.TaskCreated, new TaskCreatedData
        {
            Name = "t",
            Instruction = "Summarise {{tasks.a.output}}",
            Agent = "default",
            Status = status,
            MaxAttempts = 3,
            Limits = new TaskLimits { TokenLimit = 1_000 },
        }, CoreJsonContext.Default.TaskCreatedData);

    /// <summary>Appends an event the way the store does: JSON payload, next version, a later timestamp.</summary>
    private StoredEvent Append<T>(string eventType, T data, JsonTypeInfo<T> type)
    {
        var e = new StoredEvent
        {
            Seq = 100 + _events.Count,
            TenantId = Tenancy.DefaultTenant,
            AggregateType = EventTypes.Task,
            AggregateId = TaskId,
            Version = _events.Count + 1,
            EventType = eventType,
            Data = JsonSerializer.Serialize(data, type),
            CreatedAt = Start.AddSeconds(_events.Count),
        };
        _events.Add(e);
        return e;
    }
}
