using System.Text.Json;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Core.Tasks;

namespace Apex.Server.Tasks;

/// <summary>Store rows to wire records.</summary>
internal static class TaskMapping
{
    public static TaskResponse ToResponse(this TaskRecord task) => new()
    {
        Id = task.Id,
        DagId = task.DagId,
        Key = task.Key,
        Name = task.Name,
        Instruction = task.Instruction,
        Agent = task.Agent,
        Status = task.Status,
        Priority = task.Priority,
        Attempt = task.Attempt,
        MaxAttempts = task.MaxAttempts,
        Output = task.Output,
        Error = task.ErrorCode is null ? null : new TaskError(task.ErrorCode, task.ErrorMessage ?? ""),
        Usage = new TaskUsage { InputTokens = task.InputTokens, OutputTokens = task.OutputTokens, CostUsd = task.CostUsd, ApiCalls = task.ApiCalls },
        Limits = task.Limits,
        Metadata = task.Metadata,
        OutputSchema = task.OutputSchema is { } schema ? JsonDocument.Parse(schema).RootElement.Clone() : null,
        CreatedAt = task.CreatedAt,
        StartedAt = task.StartedAt,
        FinishedAt = task.FinishedAt,
    };

    public static TaskEventResponse ToResponse(this StoredEvent e)
    {
        using var document = JsonDocument.Parse(e.Data);
        return new TaskEventResponse
        {
            Seq = e.Seq,
            AggregateType = e.AggregateType,
            AggregateId = e.AggregateId,
            DagId = e.DagId,
            Version = e.Version,
            EventType = e.EventType,
            Data = document.RootElement.Clone(),
            CreatedAt = e.CreatedAt,
        };
    }
}
