using System.ComponentModel.DataAnnotations;

namespace Apex.ServiceDefaults.Health;

/// <summary>Readiness probes of an Apex host (configuration section <c>Apex:Health</c>).</summary>
public sealed class HealthOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:Health";

    /// <summary>
    /// How long one dependency's check (PostgreSQL, Redis) may take before <c>/health/ready</c> answers 503 (default 1 s):
    /// a dependency that hangs rather than refuses still turns readiness off within 2 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(1);
}
