using System.ComponentModel.DataAnnotations;

namespace Apex.Engine;

/// <summary>The orchestrator and its in-process workers (configuration section <c>Apex:Engine</c>).</summary>
public sealed class EngineOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:Engine";

    /// <summary>Agent executions that may run at once in this process.</summary>
    [Range(1, 100_000)]
    public int MaxConcurrency { get; set; } = 64;

    /// <summary>Tasks that may wait in the queue; a submission beyond it is refused with 429.</summary>
    [Range(1, int.MaxValue)]
    public int MaxQueuedTasks { get; set; } = 1_000_000;

    /// <summary>Most tasks in one batch submission.</summary>
    [Range(1, 100_000)]
    public int MaxBatchSize { get; set; } = 1_000;

    /// <summary>Name of this worker in events; defaults to host name and process id.</summary>
    public string? WorkerId { get; set; }

    /// <summary>Whether this process runs agent executions (false for an API-only process).</summary>
    public bool RunWorkers { get; set; } = true;

    /// <summary>
    /// Whether a write that makes a task ready also claims it for an idle worker of this process, which starts it once
    /// the write is committed (embedded store, in-process workers): one commit fewer per task, and a DAG's dependent
    /// starts in the commit that ended its dependency. Only when no other ready task waits; false: every task is claimed
    /// by its worker in a write of its own.
    /// </summary>
    public bool EagerStart { get; set; } = true;

    /// <summary>
    /// Whether start-up re-queues every task left running (embedded: one process owns all work, so a running task
    /// at start was orphaned by a crash). Distributed mode sets it false: leases decide instead.
    /// </summary>
    public bool RecoverOnStart { get; set; } = true;

    /// <summary>Concurrency cap of the built-in <c>default</c> agent.</summary>
    [Range(1, 100_000)]
    public int DefaultAgentMaxConcurrency { get; set; } = 64;

    /// <summary>Model of the built-in <c>default</c> agent; unset, the default model of its provider.</summary>
    public string? DefaultAgentModel { get; set; }

    /// <summary>
    /// Provider of the built-in <c>default</c> agent; unset, the default provider (the first real one configured, else
    /// <c>simulated</c>).
    /// </summary>
    public string? DefaultAgentProvider { get; set; }
}
