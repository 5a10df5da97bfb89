using Apex.Core.Security;
using Apex.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Apex.Sqlite;

public sealed partial class SqliteApexStore : IAuditStore
{
    private const string AuditColumns =
        "seq, occurred_at, tenant_id, actor, action, target, outcome, detail, trace_id, client_address, prev_hash, hash";

    /// <inheritdoc />
    /// <remarks>One write of the group commit: the single writer connection already serialises chain extension.</remarks>
    public async Task<IReadOnlyList<AuditEntry>> AppendAuditAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken = default)
    {
        if (events.Count == 0)
        {
            return [];
        }
        return await WriteAsync(ctx =>
        {
            long lastSeq = 0;
            string? lastHash = null;
            using (var last = ctx.Query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"))
            {
                if (last.Read())
                {
                    (lastSeq, lastHash) = (last.GetInt64(0), last.GetString(1));
                }
            }
            var entries = AuditChain.Extend(lastSeq, lastHash, events);
            foreach (var entry in entries)
            {
                var e = entry.Event;
                ctx.Execute($"""
                    INSERT INTO audit_log ({AuditColumns})
                    VALUES ($seq, $at, $tenant, $actor, $action, $target, $outcome, $detail, $trace, $client, $prev, $hash)
                    """,
                    ("$seq", entry.Seq), ("$at", e.Time.ToUnixTimeMilliseconds()), ("$tenant", e.TenantId), ("$actor", e.Actor),
                    ("$action", e.Action), ("$target", e.Target), ("$outcome", e.Outcome), ("$detail", e.Detail), ("$trace", e.TraceId),
                    ("$client", e.ClientAddress), ("$prev", entry.PrevHash), ("$hash", entry.Hash));
            }
            return entries;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<RecordPage<AuditEntry>> ListAuditAsync(AuditQuery query, CancellationToken cancellationToken = default) =>
        ReadAsync(c =>
        {
            using var command = Command(c, $"""
                SELECT {AuditColumns} FROM audit_log
                WHERE tenant_id = $tenant AND ($action IS NULL OR action = $action)
                    AND ($since IS NULL OR occurred_at >= $since) AND ($until IS NULL OR occurred_at < $until)
                    AND ($before IS NULL OR seq < $before)
                ORDER BY seq DESC LIMIT $limit
                """,
                ("$tenant", query.TenantId), ("$action", query.Action), ("$since", query.Since?.ToUnixTimeMilliseconds()),
                ("$until", query.Until?.ToUnixTimeMilliseconds()), ("$before", query.BeforeSeq), ("$limit", query.Limit + 1));
            return query.Page(ReadAuditEntries(command));
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditEntry>> ReadAuditAsync(long afterSeq, int limit, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<AuditEntry>>(c =>
        {
            using var command = Command(c, $"SELECT {AuditColumns} FROM audit_log WHERE seq > $after ORDER BY seq LIMIT $limit",
                ("$after", afterSeq), ("$limit", limit));
            return ReadAuditEntries(command);
        }, cancellationToken);

    private static List<AuditEntry> ReadAuditEntries(SqliteCommand command)
    {
        using var r = command.ExecuteReader();
        var entries = new List<AuditEntry>();
        while (r.Read())
        {
            entries.Add(new AuditEntry(r.GetInt64(0), new AuditEvent
            {
                Time = Rows.Time(r.GetInt64(1)),
                TenantId = r.GetString(2),
                Actor = r.GetString(3),
                Action = r.GetString(4),
                Target = r.GetString(5),
                Outcome = r.GetString(6),
                Detail = Rows.StringOrNull(r, 7),
                TraceId = Rows.StringOrNull(r, 8),
                ClientAddress = Rows.StringOrNull(r, 9),
            }, r.GetString(10), r.GetString(11)));
        }
        return entries;
    }
}
