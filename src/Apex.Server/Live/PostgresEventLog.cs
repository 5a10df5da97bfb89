using Apex.Core.Events;
using Npgsql;

namespace Apex.Server.Live;

/// <summary>The distributed store's event log, through the process's one <see cref="NpgsqlDataSource"/>.</summary>
internal sealed class PostgresEventLog(NpgsqlDataSource dataSource) : IEventLog
{
    public async Task<IReadOnlyList<StoredEvent>> ReadAfterAsync(string tenantId, long afterSeq, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT seq, tenant_id, aggregate_type, aggregate_id, dag_id, version, event_type, data, created_at FROM events
            WHERE seq > @after AND tenant_id = @tenant ORDER BY seq LIMIT @limit
            """);
        command.Parameters.AddWithValue("after", afterSeq);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var events = new List<StoredEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(new StoredEvent
            {
                Seq = reader.GetInt64(0),
                TenantId = reader.GetString(1),
                AggregateType = reader.GetString(2),
                AggregateId = reader.GetGuid(3),
                DagId = reader.IsDBNull(4) ? null : reader.GetGuid(4),
                Version = reader.GetInt32(5),
                EventType = reader.GetString(6),
                Data = reader.GetString(7),
                CreatedAt = reader.GetFieldValue<DateTimeOffset>(8),
            });
        }
        return events;
    }

    public async Task<long> HeadAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT COALESCE(MAX(seq), 0) FROM events");
        return (long)(await command.ExecuteScalarAsync(cancellationToken) ?? 0L);
    }
}
