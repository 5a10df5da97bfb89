using System.Diagnostics.Metrics;
using Npgsql;

namespace Apex.Postgres;

/// <summary>
/// The connections of one data source's pool that are in use, as Npgsql itself counts them: its observable instrument
/// <c>db.client.connection.count</c> (meter <c>Npgsql</c>, state <c>used</c>), read on demand through a listener of our
/// own, so nothing is measured between two reads.
/// </summary>
internal sealed class PostgresPoolStatistics : IDisposable
{
    private const string NpgsqlMeter = "Npgsql";
    private const string ConnectionCount = "db.client.connection.count";

    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private readonly string _poolName;
    private int _used;

    public PostgresPoolStatistics(NpgsqlDataSource dataSource)
    {
        // Npgsql names a pool after its connection string (without the password) unless the builder named it.
        _poolName = dataSource.ConnectionString;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == NpgsqlMeter && instrument.Name == ConnectionCount)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>(OnMeasurement);
        _listener.Start();
    }

    /// <summary>Connections handed out by the pool right now.</summary>
    public int Used
    {
        get
        {
            lock (_lock)
            {
                _used = 0;
                _listener.RecordObservableInstruments();
                return _used;
            }
        }
    }

    public void Dispose() => _listener.Dispose();

    private void OnMeasurement(Instrument instrument, int value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        string? pool = null;
        string? connectionState = null;
        foreach (var (key, tag) in tags)
        {
            switch (key)
            {
                case "db.client.connection.pool.name":
                    pool = tag as string;
                    break;
                case "db.client.connection.state":
                    connectionState = tag as string;
                    break;
            }
        }
        if (pool == _poolName && connectionState == "used")
        {
            _used += value;
        }
    }
}
