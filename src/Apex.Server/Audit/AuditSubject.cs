namespace Apex.Server.Audit;

/// <summary>What an audited endpoint acted on, as its entry records it.</summary>
/// <param name="Target">Such as <c>key:&lt;id&gt;</c>.</param>
/// <param name="Detail">A short explanation; never a secret.</param>
/// <param name="Tenant">The tenant concerned when it is not the caller's.</param>
internal readonly record struct AuditSubject(string Target, string? Detail = null, string? Tenant = null);
