using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Apex.Micro;

/// <summary>
/// The embedded server's registrations (SQLite store, engine, in-process queue), not started: benchmarks resolve the
/// objects the server would use, wired as it wires them, and drive them directly.
/// </summary>
internal static class EmbeddedServices
{
    public static ServiceProvider Build(string databasePath)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Apex:Sqlite:Path"] = databasePath,
            // The store's code, not the disk: FULL would add an fsync (about 0.8 ms here) to every commit.
            ["Apex:Sqlite:Synchronous"] = "OFF",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration);
        services.AddApexSqlite(configuration).AddApexEngine(configuration);
        return services.BuildServiceProvider();
    }
}
