namespace Apex.Agents.Contracts;

/// <summary>How task contracts are metered (configuration section <c>Apex:Contracts</c>).</summary>
public sealed class ContractOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:Contracts";

    /// <summary>Output tokens reserved for a call whose <c>ChatOptions.MaxOutputTokens</c> is not set.</summary>
    public int DefaultMaxOutputTokens { get; set; } = 1024;

    /// <summary>
    /// How long a shared budget (a DAG's) is kept after its last use. A budget that expired and is used again is
    /// seeded afresh from the usage the caller passes, so this only bounds memory and Redis keys of finished DAGs.
    /// </summary>
    public TimeSpan SharedBudgetTtl { get; set; } = TimeSpan.FromHours(24);
}
