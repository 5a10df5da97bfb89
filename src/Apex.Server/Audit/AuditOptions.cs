namespace Apex.Server.Audit;

/// <summary>Audit log settings (configuration section <c>Apex:Audit</c>); docs/audit.md.</summary>
public sealed class AuditOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:Audit";

    /// <summary>
    /// Entries waiting for the writer (default 10,000). When full, new entries are dropped and counted, and one
    /// <c>audit.dropped</c> entry with the count is written once there is room: a flood never blocks a request or grows memory.
    /// </summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>Most entries appended in one transaction (default 500).</summary>
    public int MaxBatch { get; set; } = 500;

    /// <summary>Wait before the writer tries again when the store cannot be reached (default 1 s).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Entries read per round trip by <c>GET /api/v1/admin/audit/verify</c> (default 1,000).</summary>
    public int VerifyPageSize { get; set; } = 1_000;

    /// <summary>Longest actor, target or detail kept, in characters (default 512); longer values are cut.</summary>
    public int MaxFieldLength { get; set; } = 512;
}
