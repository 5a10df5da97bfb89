using Apex.Core.Errors;
using Apex.Core.Security;
using Apex.Core.Storage;
using Npgsql;

namespace Apex.Postgres;

public sealed partial class PostgresApexStore : IAuditStore
{
    private const string AuditColumns =
        "seq, occurred_at, tenant_id, actor, action, target, outcome, detail, trace_id, client_address, prev_hash, hash";

    /// <summary>
    /// In a transaction of its own (not the group commit: an audit batch is already a batch), under
    /// <see cref="PostgresMigrations.AuditAppendLock"/>: reads the last entry, links the new ones after it, inserts them.
    /// </summary>
    public async Task<IReadOnlyList<AuditEntry>> AppendAuditAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken = default)
    {
        _ = Writer;
        if (events.Count == 0)
        {
            return [];
        }
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock(@lock)", cancellationToken, ("lock", PostgresMigrations.AuditAppendLock));
            long lastSeq = 0;
            string? lastHash = null;
            await using (var last = Command(connection, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"))
            await using (var reader = await last.ExecuteReaderAsync(cancellationToken))
            {
                if (await reader.ReadAsync(cancellationToken))
                {
                    (lastSeq, lastHash) = (reader.GetInt64(0), reader.GetString(1));
                }
            }
            var entries = AuditChain.Extend(lastSeq, lastHash, events);
            await ExecuteAsync(connection, $"""
                INSERT INTO audit_log ({AuditColumns})
                SELECT * FROM unnest(@seq::bigint[], @at::timestamptz[], @tenant::text[], @actor::text[], @action::text[], @target::text[],
                    @outcome::text[], @detail::text[], @trace::text[], @client::text[], @prev::text[], @hash::text[])
                """, cancellationToken,
                ("seq", entries.Select(e => e.Seq).ToArray()), ("at", entries.Select(e => e.Event.Time).ToArray()),
                ("tenant", entries.Select(e => e.Event.TenantId).ToArray()), ("actor", entries.Select(e => e.Event.Actor).ToArray()),
                ("action", entries.Select(e => e.Event.Action).ToArray()), ("target", entries.Select(e => e.Event.Target).ToArray()),
                ("outcome", entries.Select(e => e.Event.Outcome).ToArray()), ("detail", entries.Select(e => e.Event.Detail).ToArray()),
                ("trace", entries.Select(e => e.Event.TraceId).ToArray()), ("client", entries.Select(e => e.Event.ClientAddress).ToArray()),
                ("prev", entries.Select(e => e.PrevHash).ToArray()), ("hash", entries.Select(e => e.Hash).ToArray()));
            await transaction.CommitAsync(cancellationToken);
            return entries;
        }
        catch (Exception e) when (PostgresErrors.IsUnavailable(e) && !cancellationToken.IsCancellationRequested)
        {
            throw new ApexUnavailableException("The PostgreSQL store cannot record audit entries right now.", e);
        }
    }

    /// <inheritdoc />
    public Task<RecordPage<AuditEntry>> ListAuditAsync(AuditQuery query, CancellationToken cancellationToken = default) =>
        ReadAsync(async c =>
        {
            await using var command = Command(c, $"""
                SELECT {AuditColumns} FROM audit_log
                WHERE tenant_id = @tenant AND (@action::text IS NULL OR action = @action::text)
                    AND (@since::timestamptz IS NULL OR occurred_at >= @since::timestamptz)
                    AND (@until::timestamptz IS NULL OR occurred_at < @until::timestamptz)
                    AND (@before::bigint IS NULL OR seq < @before::bigint)
                ORDER BY seq DESC LIMIT @limit
                """,
                ("tenant", query.TenantId), ("action", query.Action), ("since", query.Since), ("until", query.Until), ("before", query.BeforeSeq),
                ("limit", query.Limit + 1));
            return query.Page(await ReadAllAsync(command, ReadAuditEntry, cancellationToken));
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditEntry>> ReadAuditAsync(long afterSeq, int limit, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<AuditEntry>>(async c =>
        {
            await using var command = Command(c, $"SELECT {AuditColumns} FROM audit_log WHERE seq > @after ORDER BY seq LIMIT @limit",
                ("after", afterSeq), ("limit", limit));
            return await ReadAllAsync(command, ReadAuditEntry, cancellationToken);
        }, cancellationToken);

    private static AuditEntry ReadAuditEntry(NpgsqlDataReader r) => new(r.GetInt64(0), new AuditEvent
    {
        Time = Rows.ReadTime(r, 1),
        TenantId = r.GetString(2),
        Actor = r.GetString(3),
        Action = r.GetString(4),
        Target = r.GetString(5),
        Outcome = r.GetString(6),
        Detail = Rows.StringOrNull(r, 7),
        TraceId = Rows.StringOrNull(r, 8),
        ClientAddress = Rows.StringOrNull(r, 9),
    }, r.GetString(10), r.GetString(11));
}
