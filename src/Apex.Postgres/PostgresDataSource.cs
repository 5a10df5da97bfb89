using Microsoft.Extensions.Logging;
using Npgsql;

namespace Apex.Postgres;

/// <summary>Builds the one <see cref="NpgsqlDataSource"/> of a process, with the pool settings of <see cref="PostgresOptions"/>.</summary>
internal static class PostgresDataSource
{
    /// <summary>A data source for <paramref name="connectionString"/>; the options override its pool and timeout keys.</summary>
    public static NpgsqlDataSource Create(string connectionString, PostgresOptions options, ILoggerFactory? loggerFactory = null)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var settings = builder.ConnectionStringBuilder;
        settings.MinPoolSize = options.MinPoolSize;
        settings.MaxPoolSize = options.MaxPoolSize;
        settings.Timeout = Seconds(options.ConnectionTimeout);
        settings.CommandTimeout = Seconds(options.CommandTimeout);
        settings.ConnectionIdleLifetime = Seconds(options.ConnectionIdleLifetime);
        settings.ConnectionLifetime = Seconds(options.ConnectionLifetime);
        settings.MaxAutoPrepare = options.MaxAutoPrepare;
        settings.AutoPrepareMinUsages = 2;
        if (string.IsNullOrEmpty(settings.ApplicationName))
        {
            settings.ApplicationName = "apex";
        }
        if (loggerFactory is not null)
        {
            builder.UseLoggerFactory(loggerFactory);
        }
        return builder.Build();
    }

    private static int Seconds(TimeSpan value) => (int)Math.Ceiling(value.TotalSeconds);
}
