using System.Globalization;
using Apex.Core.Storage;

namespace Apex.Core.Security;

/// <summary>Filter and page of a tenant's audit entries, newest first.</summary>
public sealed record AuditQuery
{
    /// <summary>Tenant.</summary>
    public required string TenantId { get; init; }

    /// <summary>Only this action, such as <c>auth.failed</c>.</summary>
    public string? Action { get; init; }

    /// <summary>Only entries at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Only entries before this time.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>Page size.</summary>
    public int Limit { get; init; } = 50;

    /// <summary>Only entries before this seq: the previous page's cursor.</summary>
    public long? BeforeSeq { get; init; }

    /// <summary>
    /// The page from rows read with <c>LIMIT Limit + 1</c>, newest first: the extra row, if any, is dropped and says
    /// another page follows, whose cursor is the last kept entry's seq (decimal).
    /// </summary>
    public RecordPage<AuditEntry> Page(List<AuditEntry> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count <= Limit)
        {
            return new RecordPage<AuditEntry>(rows, null);
        }
        rows.RemoveRange(Limit, rows.Count - Limit);
        return new RecordPage<AuditEntry>(rows, rows[^1].Seq.ToString(CultureInfo.InvariantCulture));
    }
}
