using System.Globalization;
using Apex.Contracts;
using Apex.Contracts.Audit;
using Apex.Contracts.Common;

namespace Apex.Client;

public sealed partial class ApexClient
{
    /// <summary>Lists the audit entries of the caller's tenant, newest first (<c>GET /api/v1/admin/audit</c>; admin role).</summary>
    /// <param name="action">Only this action, such as <c>auth.failed</c> or <c>key.created</c>.</param>
    /// <param name="since">Only entries at or after this time.</param>
    /// <param name="until">Only entries before this time.</param>
    /// <param name="limit">Page size; the server's default when null.</param>
    /// <param name="cursor">The <see cref="Page{T}.NextCursor"/> of the previous page.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="ApexApiException">With 403 when the caller is not an admin.</exception>
    public Task<Page<AuditEntryResponse>> ListAuditAsync(string? action = null, DateTimeOffset? since = null, DateTimeOffset? until = null,
        int? limit = null, string? cursor = null, CancellationToken cancellationToken = default) =>
        GetAsync(
            Query("api/v1/admin/audit",
                ("action", action),
                ("since", since?.ToString("O", CultureInfo.InvariantCulture)),
                ("until", until?.ToString("O", CultureInfo.InvariantCulture)),
                ("limit", Invariant(limit)),
                ("cursor", cursor)),
            ApexJsonContext.Default.PageAuditEntryResponse, cancellationToken);

    /// <summary>
    /// Walks the whole audit hash chain (<c>GET /api/v1/admin/audit/verify</c>; admin role) and reports the first entry
    /// that is missing or changed.
    /// </summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<AuditVerificationResponse> VerifyAuditAsync(CancellationToken cancellationToken = default) =>
        GetAsync("api/v1/admin/audit/verify", ApexJsonContext.Default.AuditVerificationResponse, cancellationToken);
}
