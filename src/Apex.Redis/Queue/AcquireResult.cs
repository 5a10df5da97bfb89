namespace Apex.Redis.Queue;

/// <summary>What the acquire script decided for a work message (docs/worker-protocol.md, "Leases and fencing" step 2).</summary>
public enum AcquireResult
{
    /// <summary>The lease is now this worker's: run the attempt.</summary>
    Ok,

    /// <summary>No lease: the orchestrator gave up on the attempt. Discard the message.</summary>
    Lost,

    /// <summary>The lease belongs to another attempt. Discard the message.</summary>
    Stale,

    /// <summary>Another worker holds (or finished) this attempt: a duplicate delivery. Discard the message.</summary>
    Taken,
}
