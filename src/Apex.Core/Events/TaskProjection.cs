using System.Text.Json;
using Apex.Contracts.Tasks;
using Apex.Core.Tasks;

namespace Apex.Core.Events;

/// <summary>Folds a task's events into its row: the event log alone reproduces the projection.</summary>
public static class TaskProjection
{
    /// <summary>Folds <paramref name="events"/> (in version order) into a row.</summary>
    public static TaskRecord? Fold(IEnumerable<StoredEvent> events)
    {
        TaskRecord? state = null;
        foreach (var e in events)
        {
            state = Apply(state, e);
        }
        return state;
    }

    /// <summary>Applies one event.</summary>
    public static TaskRecord Apply(TaskRecord? state, StoredEvent e)
    {
        if (state is null)
        {
            if (e.EventType != EventTypes.TaskCreated)
            {
                throw new InvalidOperationException($"The first event of task {e.AggregateId} is {e.EventType}.");
            }
            var created = Read(e, CoreJsonContext.Default.TaskCreatedData);
            return new TaskRecord
            {
                TenantId = e.TenantId,
                Id = e.AggregateId,
                DagId = created.DagId,
                Key = created.Key,
                Name = created.Name,
                Instruction = created.Instruction,
                Agent = created.Agent,
                Status = created.Status,
                Priority = created.Priority,
                MaxAttempts = created.MaxAttempts,
                Limits = created.Limits,
                Metadata = created.Metadata,
                OutputSchema = created.OutputSchema,
                TraceParent = created.TraceParent,
                TraceState = created.TraceState,
                CreatedAt = e.CreatedAt,
                Version = e.Version,
            };
        }

        var next = e.EventType switch
        {
            EventTypes.TaskQueued => state with
            {
                Status = TaskState.Queued,
                Instruction = Read(e, CoreJsonContext.Default.TaskQueuedData).Instruction,
            },
            EventTypes.TaskStarted => StartedFrom(state, e),
            EventTypes.TaskRetryScheduled => RetryFrom(state, e),
            EventTypes.TaskRequeued => state with { Status = TaskState.Queued, RunAt = null },
            EventTypes.TaskRetried => RetriedFrom(state, e),
            EventTypes.TaskSucceeded => SucceededFrom(state, e),
            EventTypes.TaskFailed => Ended(state, e, TaskState.Failed),
            EventTypes.TaskCancelled => Ended(state, e, TaskState.Cancelled),
            EventTypes.TaskSkipped => Ended(state, e, TaskState.Skipped),
            EventTypes.TaskAwaitingApproval => AddUsage(state, Read(e, CoreJsonContext.Default.TaskAwaitingApprovalData).Usage) with
            {
                Status = TaskState.AwaitingApproval,
            },
            EventTypes.TaskApproved => state with { Status = TaskState.Queued, RunAt = null },
            EventTypes.TaskResultIgnored => AddUsage(state, Read(e, CoreJsonContext.Default.TaskResultIgnoredData).Usage),
            _ => state,
        };
        return next with { Version = e.Version };
    }

    private static TaskRecord StartedFrom(TaskRecord state, StoredEvent e)
    {
        var data = Read(e, CoreJsonContext.Default.TaskStartedData);
        // A task never starts before it was created: a claim stamped by one PostgreSQL writer a moment before another
        // writer's batch that created the task (and committed first) is recorded at the creation time (the claim's SQL).
        var started = e.CreatedAt > state.CreatedAt ? e.CreatedAt : state.CreatedAt;
        return state with { Status = TaskState.Running, Attempt = data.Attempt, StartedAt = started, RunAt = null };
    }

    private static TaskRecord RetryFrom(TaskRecord state, StoredEvent e)
    {
        var data = Read(e, CoreJsonContext.Default.TaskRetryScheduledData);
        return AddUsage(state, data.Usage) with
        {
            Status = TaskState.Queued,
            RunAt = data.RunAt,
            ErrorCode = data.Error.Code,
            ErrorMessage = data.Error.Message,
        };
    }

    private static TaskRecord RetriedFrom(TaskRecord state, StoredEvent e)
    {
        var data = Read(e, CoreJsonContext.Default.TaskRetriedData);
        return state with
        {
            Status = TaskState.Queued,
            MaxAttempts = data.MaxAttempts,
            Instruction = data.Instruction,
            ErrorCode = null,
            ErrorMessage = null,
            Output = null,
            FinishedAt = null,
            RunAt = null,
        };
    }

    private static TaskRecord SucceededFrom(TaskRecord state, StoredEvent e)
    {
        var data = Read(e, CoreJsonContext.Default.TaskSucceededData);
        return AddUsage(state, data.Usage) with
        {
            Status = TaskState.Succeeded,
            Output = data.Output,
            ErrorCode = null,
            ErrorMessage = null,
            FinishedAt = e.CreatedAt,
        };
    }

    private static TaskRecord Ended(TaskRecord state, StoredEvent e, TaskState status)
    {
        var data = Read(e, CoreJsonContext.Default.TaskEndedData);
        return AddUsage(state, data.Usage) with
        {
            Status = status,
            ErrorCode = data.Error.Code,
            ErrorMessage = data.Error.Message,
            FinishedAt = e.CreatedAt,
            RunAt = null,
        };
    }

    private static TaskRecord AddUsage(TaskRecord state, UsageDelta usage) => state with
    {
        InputTokens = state.InputTokens + usage.InputTokens,
        OutputTokens = state.OutputTokens + usage.OutputTokens,
        CostUsd = state.CostUsd + usage.CostUsd,
        ApiCalls = state.ApiCalls + usage.ApiCalls,
    };

    private static T Read<T>(StoredEvent e, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        JsonSerializer.Deserialize(e.Data, type) ?? throw new InvalidOperationException($"Event {e.EventType} of {e.AggregateId} has no data.");
}
