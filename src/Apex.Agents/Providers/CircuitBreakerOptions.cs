namespace Apex.Agents.Providers;

/// <summary>When a failing provider stops being called (<c>Apex:Providers:Items:{name}:CircuitBreaker</c>).</summary>
public sealed class CircuitBreakerOptions
{
    /// <summary>Failed attempts, with none succeeding in <see cref="SamplingSeconds"/>, that open the circuit (at least 2).</summary>
    public int FailureThreshold { get; set; } = 5;

    /// <summary>Seconds the circuit stays open before one trial call is let through.</summary>
    public double BreakSeconds { get; set; } = 30;

    /// <summary>Window in seconds over which failures are counted; a success inside it keeps the circuit closed.</summary>
    public double SamplingSeconds { get; set; } = 60;
}
