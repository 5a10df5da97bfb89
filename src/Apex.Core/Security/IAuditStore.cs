using Apex.Core.Storage;

namespace Apex.Core.Security;

/// <summary>
/// The append-only, hash-chained audit log, in the same database as the rest of the state. The database refuses
/// updates and deletes of its rows; <see cref="AuditChain.VerifyAsync"/> detects what gets past that.
/// </summary>
public interface IAuditStore
{
    /// <summary>
    /// Appends <paramref name="events"/> in order at the end of the chain, all or none; safe when several servers append
    /// at once (each batch extends the chain as it finds it). Returns the entries with their seq and hashes.
    /// </summary>
    Task<IReadOnlyList<AuditEntry>> AppendAuditAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken = default);

    /// <summary>A tenant's entries, newest first; the page's cursor is the last entry's seq.</summary>
    Task<RecordPage<AuditEntry>> ListAuditAsync(AuditQuery query, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="limit"/> entries of every tenant after <paramref name="afterSeq"/>, in seq order (for verification).</summary>
    Task<IReadOnlyList<AuditEntry>> ReadAuditAsync(long afterSeq, int limit, CancellationToken cancellationToken = default);
}
