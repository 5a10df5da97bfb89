using Npgsql;

namespace Apex.Testing;

/// <summary>
/// An empty database of one test's own on a PostgreSQL server (so tests can share the server), dropped on dispose
/// with <c>WITH (FORCE)</c>, which closes the connections processes of the test may still hold.
/// </summary>
public sealed class PostgresTestDatabase : IAsyncDisposable
{
    private readonly string _server;

    private PostgresTestDatabase(string server, string name)
    {
        _server = server;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    /// <summary>The database's name.</summary>
    public string Name { get; }

    /// <summary>The connection string of the database (the server's, with this database).</summary>
    public string ConnectionString { get; }

    /// <summary>Creates a database named <c>apex_test_&lt;guid&gt;</c> on the server of <paramref name="serverConnectionString"/>.</summary>
    public static async Task<PostgresTestDatabase> CreateAsync(string serverConnectionString, CancellationToken cancellationToken = default)
    {
        var database = new PostgresTestDatabase(serverConnectionString, $"apex_test_{Guid.NewGuid():N}");
        await database.ExecuteOnServerAsync($"CREATE DATABASE {database.Name}", cancellationToken);
        return database;
    }

    /// <summary>A connection to the database that is not pooled, so a server restart leaves no broken connection behind.</summary>
    public async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Drops the database; a server that is already gone took it along.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await ExecuteOnServerAsync($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", CancellationToken.None);
        }
        catch (NpgsqlException)
        {
            // The server is down or gone (a throwaway instance stopped first).
        }
    }

    private async Task ExecuteOnServerAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_server) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
