namespace Apex.Redis;

/// <summary>Distributed mode's Redis settings (configuration section <c>Apex:Redis</c>); see docs/worker-protocol.md.</summary>
public sealed class RedisOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:Redis";

    private TimeSpan? _heartbeatInterval;
    private TimeSpan? _claimIdle;

    /// <summary>First segment of every key and channel, so several deployments (or tests) can share one Redis.</summary>
    public string Prefix { get; set; } = "apex";

    /// <summary>How long a worker's lease lives without a heartbeat: a dead worker's task is re-queued after this plus one sweep.</summary>
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a dispatched, not yet acquired, lease lives: the longest a message may wait in the work stream.</summary>
    public TimeSpan DispatchTtl { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often the orchestrator checks the leases of the tasks it dispatched.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often a worker extends its leases and refreshes its presence; defaults to a third of <see cref="LeaseTtl"/>.</summary>
    public TimeSpan HeartbeatInterval
    {
        get => _heartbeatInterval ?? LeaseTtl / 3;
        set => _heartbeatInterval = value;
    }

    /// <summary>Most entries one stream read returns.</summary>
    public int ReadBatch { get; set; } = 256;

    /// <summary>How long a read waits for entries before it returns empty.</summary>
    public TimeSpan BlockTime { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Whether a stream read that has backed off to <see cref="PollInterval"/> (the stream is idle) waits for the rest of
    /// its block time with <c>XREADGROUP … BLOCK</c> on a connection of its own, one per reading process side: an idle
    /// reader stops polling and wakes as soon as an entry is added. Off, it keeps polling the shared connection (for a
    /// proxy in front of Redis that does not pass blocking commands).
    /// </summary>
    public bool BlockingReads { get; set; } = true;

    /// <summary>
    /// Longest pause between polls while a read waits: StackExchange.Redis multiplexes one connection and cannot block
    /// on it, so a read polls, backing off from 1 ms to this (then blocks, with <see cref="BlockingReads"/>).
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Most events in one message on the events channel; a group commit's events are sent in as few messages as this allows.</summary>
    public int EventsPerMessage { get; set; } = 256;

    /// <summary>
    /// How long a live-only event (<c>output_delta</c>, <c>tool_called</c>, …) may wait on the events channel to travel
    /// with others: a worker's streaming agents publish one every few words. Zero sends each at once.
    /// </summary>
    public TimeSpan LiveEventDelay { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>How long a stream entry stays pending before another consumer claims it; defaults to <see cref="LeaseTtl"/>.</summary>
    public TimeSpan ClaimIdle
    {
        get => _claimIdle ?? LeaseTtl;
        set => _claimIdle = value;
    }
}
