using Npgsql;
using Xunit;

namespace Apex.Testing;

/// <summary>
/// A throwaway database on the server named by <c>APEX_TEST_PG</c>, created for one test class and dropped after it.
/// Without the variable the tests using it skip, except under <c>CI=true</c>, where they fail.
/// </summary>
public sealed class PostgresDatabase : IAsyncLifetime
{
    private readonly List<PostgresTestDatabase> _databases = [];

    /// <summary>The server's connection string, or null when none is configured.</summary>
    public static string? Server => TestServices.Postgres;

    /// <summary>The connection string of this class's database.</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>Skips the calling test when there is no server (fails it under CI).</summary>
    public static void RequireServer() => TestServices.Require(TestServices.PostgresVariable, "a PostgreSQL server");

    public async ValueTask InitializeAsync()
    {
        if (Server is not null)
        {
            ConnectionString = await CreateDatabaseAsync();
        }
    }

    /// <summary>Creates another empty database, dropped with this one.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var database = await PostgresTestDatabase.CreateAsync(Server!);
        _databases.Add(database);
        return database.ConnectionString;
    }

    /// <summary>Empties every table of this class's database (between tests; the schema stays).</summary>
    public async Task ResetAsync()
    {
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        await using var command = dataSource.CreateCommand("""
            DO $$ BEGIN
                IF to_regclass('tasks') IS NOT NULL THEN
                    TRUNCATE tasks, dags, task_edges, events, agents, idempotency_keys, llm_usage RESTART IDENTITY;
                END IF;
                -- The audit log refuses TRUNCATE (append-only) unless its triggers are out of the way.
                IF to_regclass('audit_log') IS NOT NULL THEN
                    ALTER TABLE audit_log DISABLE TRIGGER USER;
                    TRUNCATE audit_log;
                    ALTER TABLE audit_log ENABLE TRIGGER USER;
                END IF;
            END $$
            """);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_databases.Count == 0)
        {
            return;
        }
        NpgsqlConnection.ClearAllPools();
        foreach (var database in _databases)
        {
            await database.DisposeAsync();
        }
    }
}
