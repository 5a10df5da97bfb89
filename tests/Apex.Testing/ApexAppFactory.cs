using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Apex.Testing;

/// <summary>
/// Hosts Apex.Server in memory on a SQLite file of its own (deleted on dispose), with the Simulated provider answering
/// at once unless a setting says otherwise. Every setting can be overridden through the constructor.
/// </summary>
public sealed class ApexAppFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;

    /// <summary>
    /// A server with the test defaults, overridden by <paramref name="settings"/> (configuration keys such as
    /// <c>Apex:Engine:MaxConcurrency</c>; a null value removes a default).
    /// </summary>
    public ApexAppFactory(IReadOnlyDictionary<string, string?>? settings = null)
    {
        DataDirectory = Path.Combine(Path.GetTempPath(), "apex-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(DataDirectory);
        _settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Apex:Sqlite:Path"] = Path.Combine(DataDirectory, "apex.db"),
            ["Apex:Simulated:LatencyMs"] = "0",
            // Tests poll /health to wait for an idle engine: a reused document would end the wait early.
            ["Apex:Cache:HealthTtl"] = "00:00:00",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
    }

    /// <summary>The directory holding this server's database.</summary>
    public string DataDirectory { get; }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        DeleteDataDirectory();
    }

    /// <inheritdoc />
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in _settings)
        {
            if (value is not null)
            {
                builder.UseSetting(key, value);
            }
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            DeleteDataDirectory();
        }
    }

    private void DeleteDataDirectory()
    {
        try
        {
            if (Directory.Exists(DataDirectory))
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
        }
        catch (IOException)
        {
            // A file still held open by a pooled connection: the temp directory is reclaimed by the OS eventually.
        }
    }
}
