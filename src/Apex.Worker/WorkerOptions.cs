using System.ComponentModel.DataAnnotations;

namespace Apex.Worker;

/// <summary>The worker process (configuration section <c>Apex:Worker</c>).</summary>
public sealed class WorkerOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:Worker";

    /// <summary>Agent executions at once.</summary>
    [Range(1, 100_000)]
    public int Concurrency { get; set; } = 64;

    /// <summary>Name in leases and results; defaults to host name and process id.</summary>
    public string? WorkerId { get; set; }

    /// <summary>Most results sent to Redis in one round trip; the results finished while one is sent wait for the next.</summary>
    [Range(1, 100_000)]
    public int ReportBatch { get; set; } = 512;

    /// <summary>On SIGTERM, how long running attempts may take to finish before they are released for re-dispatch.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
