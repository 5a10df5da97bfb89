using Apex.Core.Events;

namespace Apex.Redis.Events;

/// <summary>A committed event on the <c>{prefix}:events</c> channel, JSON in snake_case.</summary>
/// <param name="Origin">Instance id of the publishing bus, so it can drop the echo of its own events.</param>
internal sealed record EventEnvelope(
    long Seq,
    string TenantId,
    string AggregateType,
    Guid AggregateId,
    Guid? DagId,
    int Version,
    string EventType,
    string Data,
    DateTimeOffset CreatedAt,
    string Origin)
{
    public static EventEnvelope From(StoredEvent e, string origin) =>
        new(e.Seq, e.TenantId, e.AggregateType, e.AggregateId, e.DagId, e.Version, e.EventType, e.Data, e.CreatedAt, origin);

    public StoredEvent ToStoredEvent() => new()
    {
        Seq = Seq,
        TenantId = TenantId,
        AggregateType = AggregateType,
        AggregateId = AggregateId,
        DagId = DagId,
        Version = Version,
        EventType = EventType,
        Data = Data,
        CreatedAt = CreatedAt,
    };
}
