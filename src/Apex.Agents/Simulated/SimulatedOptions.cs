namespace Apex.Agents.Simulated;

/// <summary>The Simulated provider (configuration section <c>Apex:Simulated</c>).</summary>
public sealed class SimulatedOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:Simulated";

    /// <summary>Mean latency of one call in milliseconds; 0 answers at once.</summary>
    public int LatencyMs { get; set; } = 200;

    /// <summary>Latency spread: 0.5 draws uniformly from ±50 % of <see cref="LatencyMs"/>.</summary>
    public double LatencyJitter { get; set; } = 0.5;
}
