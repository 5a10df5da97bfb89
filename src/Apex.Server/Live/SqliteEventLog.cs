using System.Globalization;
using Apex.Core.Events;
using Apex.Sqlite;
using Microsoft.Data.Sqlite;

namespace Apex.Server.Live;

/// <summary>The embedded store's event log, read through read-only connections of its own (WAL: never waits for the writer).</summary>
internal sealed class SqliteEventLog(SqliteApexStore store) : IEventLog
{
    private readonly string _connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = store.DatabasePath,
        Mode = SqliteOpenMode.ReadOnly,
        Pooling = true,
    }.ToString();

    public Task<IReadOnlyList<StoredEvent>> ReadAfterAsync(string tenantId, long afterSeq, int limit, CancellationToken cancellationToken) =>
        Task.Run<IReadOnlyList<StoredEvent>>(() =>
        {
            using var connection = new SqliteConnection(_connectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT seq, tenant_id, aggregate_type, aggregate_id, dag_id, version, event_type, data, created_at FROM events
                WHERE seq > $after AND tenant_id = $tenant ORDER BY seq LIMIT $limit
                """;
            command.Parameters.AddWithValue("$after", afterSeq);
            command.Parameters.AddWithValue("$tenant", tenantId);
            command.Parameters.AddWithValue("$limit", limit);
            using var reader = command.ExecuteReader();
            var events = new List<StoredEvent>();
            while (reader.Read())
            {
                events.Add(new StoredEvent
                {
                    Seq = reader.GetInt64(0),
                    TenantId = reader.GetString(1),
                    AggregateType = reader.GetString(2),
                    AggregateId = Guid.Parse(reader.GetString(3)),
                    DagId = reader.IsDBNull(4) ? null : Guid.Parse(reader.GetString(4)),
                    Version = reader.GetInt32(5),
                    EventType = reader.GetString(6),
                    Data = reader.GetString(7),
                    CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(8)),
                });
            }
            return events;
        }, cancellationToken);

    public Task<long> HeadAsync(CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            using var connection = new SqliteConnection(_connectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT COALESCE(MAX(seq), 0) FROM events";
            return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        }, cancellationToken);
}
