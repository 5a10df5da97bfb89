namespace Apex.Core.Security;

/// <summary>The outcomes of an <see cref="AuditEvent"/>.</summary>
public static class AuditOutcomes
{
    /// <summary>It was done.</summary>
    public const string Success = "success";

    /// <summary>It was attempted and failed (bad credential, invalid request, conflict).</summary>
    public const string Failure = "failure";

    /// <summary>It was refused for lack of a role.</summary>
    public const string Denied = "denied";
}
