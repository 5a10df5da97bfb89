using System.Diagnostics.Metrics;
using Apex.Core.Events;

namespace Apex.Server.Telemetry;

/// <summary>
/// Counts tasks as this process commits them (meter <c>Apex.Server</c>): <c>apex_tasks_created_total</c> and
/// <c>apex_tasks_finished_total</c> tagged <c>status</c> (succeeded, failed, cancelled, skipped). It sees the events the
/// store publishes after each commit, before they reach the bus; events that other servers committed arrive from the bus
/// and are not counted here, so the sum over all servers counts every task once.
/// </summary>
internal sealed class TaskMetricsEventBus : IEventBus
{
    private static readonly KeyValuePair<string, object?> Succeeded = new("status", "succeeded");
    private static readonly KeyValuePair<string, object?> Failed = new("status", "failed");
    private static readonly KeyValuePair<string, object?> Cancelled = new("status", "cancelled");
    private static readonly KeyValuePair<string, object?> Skipped = new("status", "skipped");

    private readonly IEventBus _inner;
    private readonly Counter<long> _created;
    private readonly Counter<long> _finished;

    public TaskMetricsEventBus(IEventBus inner, IMeterFactory meterFactory)
    {
        _inner = inner;
        var meter = meterFactory.Create(ServerMetrics.MeterName);
        _created = meter.CreateCounter<long>("apex.tasks.created", description: "Tasks submitted (alone or in a DAG).");
        _finished = meter.CreateCounter<long>("apex.tasks.finished", description: "Tasks that reached a terminal status, by status.");
    }

    /// <inheritdoc />
    public void Publish(IReadOnlyList<StoredEvent> events)
    {
        for (var i = 0; i < events.Count; i++) // an indexer: no enumerator for each published output delta
        {
            var e = events[i];
            if (e.IsLive || e.AggregateType != EventTypes.Task)
            {
                continue;
            }
            switch (e.EventType)
            {
                case EventTypes.TaskCreated:
                    _created.Add(1);
                    break;
                case EventTypes.TaskSucceeded:
                    _finished.Add(1, Succeeded);
                    break;
                case EventTypes.TaskFailed:
                    _finished.Add(1, Failed);
                    break;
                case EventTypes.TaskCancelled:
                    _finished.Add(1, Cancelled);
                    break;
                case EventTypes.TaskSkipped:
                    _finished.Add(1, Skipped);
                    break;
            }
        }
        _inner.Publish(events);
    }

    /// <inheritdoc />
    public EventSubscription Subscribe(Func<StoredEvent, bool> filter, int capacity = 1024) => _inner.Subscribe(filter, capacity);

    /// <inheritdoc />
    public bool Wants(StoredEvent e) => _inner.Wants(e);

    /// <inheritdoc />
    public void Flush() => _inner.Flush();
}
