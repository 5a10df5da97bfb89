using System.Text.Json;
using Apex.Core.Events;

namespace Apex.Server.Stats;

/// <summary>
/// Rates for the dashboard's overview, from the event bus (every server hears every task event): per tenant, per-second
/// buckets of finished tasks, cost and latency over the last <see cref="WindowSeconds"/> seconds. In memory only; a
/// restarted server starts from zero, and a task submitted before it started has no latency sample.
/// </summary>
internal sealed partial class StatsCollector(IEventBus bus, TimeProvider time, ILogger<StatsCollector> logger) : BackgroundService
{
    public const int WindowSeconds = 60;

    private const int MaxTracked = 100_000;
    private const int MaxSamplesPerSecond = 512;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Bucket[]> _tenants = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, DateTimeOffset> _submitted = [];

    /// <summary>The window of <paramref name="tenantId"/> ending now.</summary>
    public StatsResponse Snapshot(string tenantId)
    {
        var now = time.GetUtcNow();
        var second = now.ToUnixTimeSeconds();
        var points = new List<StatsPoint>(WindowSeconds);
        var latencies = new List<double>();
        lock (_lock)
        {
            var buckets = _tenants.GetValueOrDefault(tenantId);
            for (var s = second - WindowSeconds + 1; s <= second; s++)
            {
                if (buckets is null)
                {
                    points.Add(new StatsPoint(DateTimeOffset.FromUnixTimeSeconds(s), 0, 0, 0m));
                    continue;
                }
                var bucket = buckets[Index(s)];
                var current = bucket.Second == s;
                points.Add(new StatsPoint(DateTimeOffset.FromUnixTimeSeconds(s), current ? bucket.Succeeded : 0, current ? bucket.Failed : 0,
                    current ? bucket.CostUsd : 0m));
                if (current)
                {
                    latencies.AddRange(bucket.LatenciesMs);
                }
            }
        }
        var succeeded = points.Sum(p => p.Succeeded);
        var failed = points.Sum(p => p.Failed);
        latencies.Sort();
        return new StatsResponse
        {
            WindowSeconds = WindowSeconds,
            At = now,
            TasksPerSecond = Math.Round((double)(succeeded + failed) / WindowSeconds, 3),
            Succeeded = succeeded,
            Failed = failed,
            ErrorRate = succeeded + failed == 0 ? 0 : Math.Round((double)failed / (succeeded + failed), 4),
            LatencyMs = new LatencyStats(Percentile(latencies, 0.50), Percentile(latencies, 0.95), latencies.Count == 0 ? null : latencies[^1], latencies.Count),
            CostPerHourUsd = Math.Round(points.Sum(p => p.CostUsd) * 3600m / WindowSeconds, 6),
            Series = points,
        };
    }

    /// <summary>Applies one event (the subscription's reader calls it; tests may too).</summary>
    public void Apply(StoredEvent e)
    {
        if (e.AggregateType != EventTypes.Task || e.IsLive)
        {
            return;
        }
        var second = time.GetUtcNow().ToUnixTimeSeconds();
        lock (_lock)
        {
            if (e.EventType == EventTypes.TaskCreated)
            {
                if (_submitted.Count < MaxTracked)
                {
                    _submitted[e.AggregateId] = e.CreatedAt;
                }
                return;
            }
            if (!_tenants.TryGetValue(e.TenantId, out var buckets))
            {
                buckets = [.. Enumerable.Range(0, WindowSeconds).Select(_ => new Bucket())];
                _tenants[e.TenantId] = buckets;
            }
            var bucket = buckets[Index(second)];
            if (bucket.Second != second)
            {
                bucket.Reset(second);
            }
            bucket.CostUsd += CostOf(e.Data);
            if (e.EventType is EventTypes.TaskSucceeded or EventTypes.TaskFailed)
            {
                if (e.EventType == EventTypes.TaskSucceeded)
                {
                    bucket.Succeeded++;
                }
                else
                {
                    bucket.Failed++;
                }
                if (_submitted.Remove(e.AggregateId, out var submitted) && bucket.LatenciesMs.Count < MaxSamplesPerSecond)
                {
                    bucket.LatenciesMs.Add(Math.Max(0, (e.CreatedAt - submitted).TotalMilliseconds));
                }
            }
            else if (EventTypes.IsTerminal(e.EventType))
            {
                _submitted.Remove(e.AggregateId);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            using var subscription = bus.Subscribe(e => e.AggregateType == EventTypes.Task && !e.IsLive, capacity: 16_384);
            subscription.TakesLive = static () => false;
            try
            {
                await foreach (var e in subscription.Reader.ReadAllAsync(stoppingToken))
                {
                    Apply(e);
                }
            }
            catch (EventSubscriptionOverflowException)
            {
                // Fell behind a burst: the rates miss what was dropped, the collector goes on.
                LogOverflow(logger);
            }
        }
    }

    private static decimal CostOf(string data)
    {
        if (!data.Contains("\"usage\"", StringComparison.Ordinal))
        {
            return 0m; // most task events (created, queued, started) carry no usage: not worth parsing
        }
        using var document = JsonDocument.Parse(data);
        return document.RootElement.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object
            && usage.TryGetProperty("cost_usd", out var cost) && cost.TryGetDecimal(out var value)
            ? value
            : 0m;
    }

    private static double? Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? null : Math.Round(sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)], 1);

    private static int Index(long second) => (int)(second % WindowSeconds);

    [LoggerMessage(EventId = 9601, Level = LogLevel.Warning, Message = "The stats collector fell behind the event bus; some events were not counted.")]
    private static partial void LogOverflow(ILogger logger);

    private sealed class Bucket
    {
        public long Second { get; private set; } = -1;

        public long Succeeded { get; set; }

        public long Failed { get; set; }

        public decimal CostUsd { get; set; }

        public List<double> LatenciesMs { get; } = [];

        public void Reset(long second)
        {
            Second = second;
            Succeeded = 0;
            Failed = 0;
            CostUsd = 0m;
            LatenciesMs.Clear();
        }
    }
}
