using HdrHistogram;

namespace Apex.Bench.Load;

/// <summary>
/// Latencies in an HdrHistogram (microseconds, 1 µs to 10 minutes, 3 significant digits: every value is kept to within
/// 0.1 % whatever its size, so p99.9 of a million samples costs the same memory as p50 of ten). Thread-safe.
/// </summary>
internal sealed class Latency
{
    private readonly LongHistogram _histogram = new(600_000_000, 3);
    private readonly Lock _lock = new();

    public long Count
    {
        get
        {
            lock (_lock)
            {
                return _histogram.TotalCount;
            }
        }
    }

    public void Record(TimeSpan value)
    {
        var micros = Math.Clamp((long)value.TotalMicroseconds, 1, _histogram.HighestTrackableValue);
        lock (_lock)
        {
            _histogram.RecordValue(micros);
        }
    }

    /// <summary>The value at percentile <paramref name="p"/> (0–100) in milliseconds; NaN when empty.</summary>
    public double Ms(double p)
    {
        lock (_lock)
        {
            return _histogram.TotalCount == 0 ? double.NaN : _histogram.GetValueAtPercentile(p) / 1000.0;
        }
    }

    public double MaxMs
    {
        get
        {
            lock (_lock)
            {
                return _histogram.TotalCount == 0 ? double.NaN : _histogram.GetMaxValue() / 1000.0;
            }
        }
    }

    public LatencySummary Summary() => new(Count, Ms(50), Ms(90), Ms(95), Ms(99), Ms(99.9), MaxMs);
}

/// <summary>Percentiles of one measurement, in milliseconds.</summary>
internal sealed record LatencySummary(long Count, double P50, double P90, double P95, double P99, double P999, double Max);
