using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace Apex.Worker.Telemetry;

/// <summary>
/// The worker's pool gauges (meter <c>Apex.Worker</c>), read when scraped: <c>apex_worker_pool_max</c>
/// (<see cref="WorkerOptions.Concurrency"/>) and <c>apex_worker_pool_available</c> (slots not running an attempt).
/// </summary>
internal sealed class WorkerMetrics
{
    /// <summary>Meter name.</summary>
    public const string MeterName = "Apex.Worker";

    public WorkerMetrics(IMeterFactory meterFactory, WorkerService worker, IOptions<WorkerOptions> options)
    {
        var meter = meterFactory.Create(MeterName);
        var max = options.Value.Concurrency;
        meter.CreateObservableGauge("apex.worker.pool.max", () => max, description: "Agent executions this process may run at once.");
        meter.CreateObservableGauge("apex.worker.pool.available", () => Math.Max(0, max - worker.Busy), description: "Agent executions this process could start now.");
    }
}
