using System.ComponentModel.DataAnnotations;

namespace Apex.Redis.Orchestration;

/// <summary>The orchestrator side of distributed mode (configuration section <c>Apex:Distributed</c>).</summary>
public sealed class DistributedOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:Distributed";

    /// <summary>Most dispatched-but-unfinished tasks in the work stream; the rest wait, queued, in the store.</summary>
    [Range(1, 10_000_000)]
    public int MaxInFlight { get; set; } = 20_000;

    /// <summary>Most tasks claimed from the store in one dispatch round.</summary>
    [Range(1, 100_000)]
    public int DispatchBatch { get; set; } = 1_000;

    /// <summary>How often the dispatcher looks for queued work when nothing woke it (retry backoffs end this way).</summary>
    public TimeSpan DispatchPollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// A running task younger than this is not swept even without a lease: the store records the claim just before
    /// the lease is written.
    /// </summary>
    public TimeSpan DispatchGrace { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Results applied per round.</summary>
    [Range(1, 100_000)]
    public int ResultBatch { get; set; } = 512;

    /// <summary>Result batches applied at once: the next is read and handed to the store while the last one commits.</summary>
    [Range(1, 64)]
    public int ResultBatchesInFlight { get; set; } = 4;

    /// <summary>This server's name as a consumer of the results stream; defaults to host name and process id.</summary>
    public string? ServerId { get; set; }
}
