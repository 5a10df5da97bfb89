using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Apex.Contracts.Approvals;
using Apex.Core.Approvals;

namespace Apex.Core.Events;

/// <summary>Folds an approval's events into its row: the event log alone reproduces the projection.</summary>
public static class ApprovalProjection
{
    /// <summary>Folds <paramref name="events"/> (in version order) into a row.</summary>
    public static ApprovalRecord? Fold(IEnumerable<StoredEvent> events)
    {
        ApprovalRecord? state = null;
        foreach (var e in events)
        {
            state = Apply(state, e);
        }
        return state;
    }

    /// <summary>Applies one event.</summary>
    public static ApprovalRecord Apply(ApprovalRecord? state, StoredEvent e)
    {
        if (state is null)
        {
            if (e.EventType != EventTypes.ApprovalRequested)
            {
                throw new InvalidOperationException($"The first event of approval {e.AggregateId} is {e.EventType}.");
            }
            var requested = Read(e, CoreJsonContext.Default.ApprovalRequestedData);
            return new ApprovalRecord
            {
                TenantId = e.TenantId,
                Id = e.AggregateId,
                TaskId = requested.TaskId,
                DagId = requested.DagId,
                Attempt = requested.Attempt,
                Action = requested.Action,
                Tool = requested.Tool,
                ArgsHash = requested.ArgsHash,
                Risk = requested.Risk,
                Summary = requested.Summary,
                Status = ApprovalState.Pending,
                CreatedAt = e.CreatedAt,
                ExpiresAt = requested.ExpiresAt,
                Version = e.Version,
            };
        }
        var next = e.EventType switch
        {
            EventTypes.ApprovalGranted => Closed(state, e, ApprovalState.Approved),
            EventTypes.ApprovalRejected => Closed(state, e, ApprovalState.Rejected),
            EventTypes.ApprovalExpired => Closed(state, e, ApprovalState.Expired),
            EventTypes.ApprovalCancelled => Closed(state, e, ApprovalState.Cancelled),
            EventTypes.ApprovalUsed => state with { Status = ApprovalState.Used },
            _ => state,
        };
        return next with { Version = e.Version };
    }

    private static ApprovalRecord Closed(ApprovalRecord state, StoredEvent e, ApprovalState status)
    {
        var data = Read(e, CoreJsonContext.Default.ApprovalClosedData);
        return state with { Status = status, DecidedAt = e.CreatedAt, DecidedBy = data.DecidedBy, Reason = data.Reason };
    }

    private static T Read<T>(StoredEvent e, JsonTypeInfo<T> type) =>
        JsonSerializer.Deserialize(e.Data, type) ?? throw new InvalidOperationException($"Event {e.EventType} of {e.AggregateId} has no data.");
}
