using Apex.Core.Security;
using Apex.Core.Storage;
using Apex.Core.Tenants;
using Apex.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the embedded store.</summary>
public static class SqliteServiceCollectionExtensions
{
    /// <summary>Adds the SQLite store (configuration section <c>Apex:Sqlite</c>).</summary>
    public static IServiceCollection AddApexSqlite(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<SqliteOptions>().Bind(configuration.GetSection(SqliteOptions.Section))
            .Validate(o => !string.IsNullOrWhiteSpace(o.Path), "Apex:Sqlite:Path is required.")
            .Validate(o => o.MaxBatch is >= 1 and <= 10_000 && o.MaxPendingWrites >= 1, "Apex:Sqlite:MaxBatch must be 1–10000 and MaxPendingWrites ≥ 1.")
            .ValidateOnStart();
        services.TryAddSingleton<SqliteApexStore>();
        services.TryAddSingleton<IApexStore>(sp => sp.GetRequiredService<SqliteApexStore>());
        services.TryAddSingleton<IStoreStatistics>(sp => sp.GetRequiredService<SqliteApexStore>());
        services.TryAddSingleton<IApiKeyStore>(sp => sp.GetRequiredService<SqliteApexStore>());
        services.TryAddSingleton<IAuditStore>(sp => sp.GetRequiredService<SqliteApexStore>());
        services.TryAddSingleton<ITenantStore>(sp => sp.GetRequiredService<SqliteApexStore>());
        return services;
    }
}
