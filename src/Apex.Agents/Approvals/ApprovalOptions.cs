namespace Apex.Agents.Approvals;

/// <summary>Human approvals (configuration section <c>Apex:Approvals</c>; docs/configuration.md, "Approvals").</summary>
public sealed class ApprovalOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:Approvals";

    /// <summary>The policies; an action needs approval when any of them asks for it. Empty: nothing ever does.</summary>
    public List<ApprovalPolicyOptions> Policies { get; set; } = [];

    /// <summary>How long a pending approval waits for a decision before its task fails with <c>approval_expired</c>.</summary>
    public TimeSpan DefaultTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often the server looks for expired approvals (also once at start).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Most approvals one sweep expires; the next sweep takes the rest at once.</summary>
    public int SweepBatch { get; set; } = 100;
}
