using Apex.Core;
using Apex.Core.Events;

namespace Apex.Server.Tests.Live;

/// <summary>Committed-looking events for tests that publish straight to the bus, stamped now.</summary>
internal static class Published
{
    public static StoredEvent Event(long seq, string aggregateType, Guid aggregateId, int version, string type, string data) => new()
    {
        Seq = seq,
        TenantId = Tenancy.DefaultTenant,
        AggregateType = aggregateType,
        AggregateId = aggregateId,
        Version = version,
        EventType = type,
        Data = data,
        CreatedAt = DateTimeOffset.UtcNow,
    };
}
