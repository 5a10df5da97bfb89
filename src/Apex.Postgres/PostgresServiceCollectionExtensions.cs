using Apex.Core.Security;
using Apex.Core.Storage;
using Apex.Core.Tenants;
using Apex.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the distributed store.</summary>
public static class PostgresServiceCollectionExtensions
{
    /// <summary>
    /// Adds the PostgreSQL store: one <see cref="NpgsqlDataSource"/> for <c>ConnectionStrings:Postgres</c>, pool settings
    /// from <c>Apex:Postgres</c>, <see cref="PostgresApexStore"/> as the <see cref="IApexStore"/>, and the analysis of a
    /// young database's hot tables (<see cref="PostgresOptions.YoungTableAnalyzeRows"/>).
    /// </summary>
    public static IServiceCollection AddApexPostgres(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<PostgresOptions>().Bind(configuration.GetSection(PostgresOptions.Section))
            .Validate(o => o.MinPoolSize >= 0 && o.Writers is >= 1 and <= 16 && o.MaxPoolSize > o.Writers && o.MinPoolSize <= o.MaxPoolSize,
                "Apex:Postgres:Writers must be 1–16 and MaxPoolSize more than Writers (each group-commit writer holds a connection while reads use the others) and ≥ MinPoolSize.")
            .Validate(o => o.MaxBatch is >= 1 and <= 10_000 && o.MaxPendingWrites >= 1 && o.TransientRetries >= 0,
                "Apex:Postgres:MaxBatch must be 1–10000, MaxPendingWrites ≥ 1 and TransientRetries ≥ 0.")
            .Validate(o => o.ConnectionTimeout > TimeSpan.Zero && o.CommandTimeout >= TimeSpan.Zero && o.WriteTimeout > TimeSpan.Zero,
                "Apex:Postgres:ConnectionTimeout and WriteTimeout must be positive, CommandTimeout ≥ 0 (0 = none).")
            .Validate(o => o.YoungTableAnalyzeRows >= 0 && o.YoungTableCheckInterval > TimeSpan.Zero,
                "Apex:Postgres:YoungTableAnalyzeRows must be ≥ 0 (0 = off) and YoungTableCheckInterval positive.")
            .ValidateOnStart();
        services.TryAddSingleton(sp =>
        {
            var connectionString = configuration.GetConnectionString("Postgres");
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new OptionsValidationException("ConnectionStrings:Postgres", typeof(PostgresOptions),
                    ["ConnectionStrings:Postgres is required for the PostgreSQL store."]);
            }
            return PostgresDataSource.Create(connectionString, sp.GetRequiredService<IOptions<PostgresOptions>>().Value,
                sp.GetService<ILoggerFactory>());
        });
        services.TryAddSingleton<PostgresApexStore>();
        services.TryAddSingleton<IApexStore>(sp => sp.GetRequiredService<PostgresApexStore>());
        services.TryAddSingleton<IStoreStatistics>(sp => sp.GetRequiredService<PostgresApexStore>());
        services.TryAddSingleton<IApiKeyStore>(sp => sp.GetRequiredService<PostgresApexStore>());
        services.TryAddSingleton<IAuditStore>(sp => sp.GetRequiredService<PostgresApexStore>());
        services.TryAddSingleton<ITenantStore>(sp => sp.GetRequiredService<PostgresApexStore>());
        services.AddHostedService<YoungTableStatistics>();
        return services;
    }
}
