namespace Apex.Core.Security;

/// <summary>The actions the audit log records (docs/audit.md).</summary>
public static class AuditActions
{
    /// <summary>A credential was presented and refused (401).</summary>
    public const string AuthFailed = "auth.failed";

    /// <summary>An authenticated caller lacked the role a route needs (403).</summary>
    public const string AuthzDenied = "authz.denied";

    /// <summary>An API key was created.</summary>
    public const string KeyCreated = "key.created";

    /// <summary>An API key was revoked.</summary>
    public const string KeyRevoked = "key.revoked";

    /// <summary>An approval was approved.</summary>
    public const string ApprovalApproved = "approval.approved";

    /// <summary>An approval was rejected.</summary>
    public const string ApprovalRejected = "approval.rejected";

    /// <summary>A tenant's quota or rate limit was changed.</summary>
    public const string QuotaChanged = "quota.changed";

    /// <summary>A tenant was suspended: its keys and tokens are refused.</summary>
    public const string TenantSuspended = "tenant.suspended";

    /// <summary>A suspended tenant was resumed.</summary>
    public const string TenantResumed = "tenant.resumed";

    /// <summary>Entries were dropped because the audit queue was full; the detail holds how many.</summary>
    public const string Dropped = "audit.dropped";

    /// <summary>Prefix of any other mutating request under <c>/api/v1/admin</c>.</summary>
    public const string AdminPrefix = "admin.";
}
