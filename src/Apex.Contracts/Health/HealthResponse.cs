namespace Apex.Contracts.Health;

/// <summary>Body of <c>GET /health</c>, as the seed's <c>health_detailed</c>.</summary>
public sealed record HealthResponse
{
    /// <summary><c>healthy</c>, <c>degraded</c> or <c>unhealthy</c>.</summary>
    public required string Status { get; init; }

    /// <summary>Server version.</summary>
    public required string Version { get; init; }

    /// <summary><c>embedded</c> or <c>distributed</c>.</summary>
    public required string Mode { get; init; }

    /// <summary>
    /// <c>open</c> when this server asks no credential (loopback, no key: docs/security.md), <c>required</c> otherwise.
    /// </summary>
    public string Auth { get; init; } = "required";

    /// <summary>Seconds since start.</summary>
    public long UptimeSeconds { get; init; }

    /// <summary>Per-component health.</summary>
    public required HealthComponents Components { get; init; }
}

/// <summary>The components of <see cref="HealthResponse"/>.</summary>
public sealed record HealthComponents
{
    /// <summary>The store.</summary>
    public required DatabaseHealth Database { get; init; }

    /// <summary>The dispatch queue.</summary>
    public required QueueHealth Queue { get; init; }

    /// <summary>The worker pool.</summary>
    public required WorkerHealth Workers { get; init; }
}

/// <summary>Store health.</summary>
public sealed record DatabaseHealth
{
    /// <summary><c>healthy</c> or <c>unhealthy</c>.</summary>
    public required string Status { get; init; }

    /// <summary>Backend name, e.g. <c>sqlite</c>.</summary>
    public required string Backend { get; init; }

    /// <summary>Connections in use.</summary>
    public int ConnectionsActive { get; init; }

    /// <summary>Connection limit.</summary>
    public int ConnectionsMax { get; init; }

    /// <summary>Round-trip of a trivial query, in milliseconds.</summary>
    public double LatencyMs { get; init; }

    /// <summary>Error text when unhealthy.</summary>
    public string? Error { get; init; }
}

/// <summary>Queue health.</summary>
public sealed record QueueHealth
{
    /// <summary><c>healthy</c> or <c>unhealthy</c>.</summary>
    public required string Status { get; init; }

    /// <summary>Backend name, e.g. <c>in-process</c>.</summary>
    public required string Backend { get; init; }

    /// <summary>Tasks ready and waiting for a worker.</summary>
    public long Depth { get; init; }

    /// <summary>Tasks waiting for a retry backoff to elapse.</summary>
    public long Delayed { get; init; }
}

/// <summary>Worker pool health: this server's in-process pool (embedded), or every live worker process (distributed).</summary>
public sealed record WorkerHealth
{
    /// <summary>Executions in progress (distributed: summed over the live workers).</summary>
    public int Active { get; init; }

    /// <summary>Concurrency limit (distributed: the live workers' capacities summed).</summary>
    public int Max { get; init; }

    /// <summary>
    /// Worker processes alive: in distributed mode those whose presence heartbeat is younger than the lease TTL; in
    /// embedded mode 1 when this server runs its in-process workers, else 0.
    /// </summary>
    public int Live { get; init; }

    /// <summary>Tasks ready and waiting for a worker.</summary>
    public long QueueDepth { get; init; }
}
