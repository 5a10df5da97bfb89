using System.Diagnostics.Metrics;
using Apex.Core.Storage;
using Apex.Engine.Dispatch;
using Apex.Engine.Execution;

namespace Apex.Server.Telemetry;

/// <summary>
/// The API server's gauges (meter <c>Apex.Server</c>), each read from live state when scraped:
/// <c>apex_queue_depth</c> (tasks waiting for a worker: the in-process queue, or the Redis work stream's entries),
/// <c>apex_db_connections_active</c> and <c>apex_db_connections_max</c> (the store's connections),
/// <c>apex_worker_pool_max</c> and <c>apex_worker_pool_available</c> (the in-process workers; absent when this server
/// runs none, as in distributed mode, where the worker processes report theirs).
/// </summary>
internal sealed class ServerMetrics
{
    /// <summary>Meter name.</summary>
    public const string MeterName = "Apex.Server";

    public ServerMetrics(IMeterFactory meterFactory, ITaskDispatcher dispatcher, WorkerPool workers, IStoreStatistics? statistics = null)
    {
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableGauge("apex.queue.depth", () => dispatcher.Backlog, description: "Tasks queued for a worker and not yet finished by one.");
        if (statistics is not null)
        {
            meter.CreateObservableGauge("apex.db.connections.active", () => statistics.ConnectionsActive, description: "Store connections in use.");
            meter.CreateObservableGauge("apex.db.connections.max", () => statistics.ConnectionsMax, description: "Store connections allowed.");
        }
        meter.CreateObservableGauge("apex.worker.pool.max", () => Pool(workers, workers.Max), description: "Agent executions this process may run at once.");
        meter.CreateObservableGauge("apex.worker.pool.available", () => Pool(workers, workers.Max - workers.Active),
            description: "Agent executions this process could start now.");
    }

    private static IEnumerable<Measurement<int>> Pool(WorkerPool workers, int value) => workers.Max > 0 ? [new Measurement<int>(value)] : [];
}
