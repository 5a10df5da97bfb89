using Apex.Sqlite;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Apex.Store.Tests;

/// <summary>
/// The writer's statements bound through SQLite's own API must store exactly what Microsoft.Data.Sqlite would: each case
/// runs the same insert both ways and compares the rows.
/// </summary>
public sealed class RawStatementTests : IDisposable
{
    private const string Insert = "INSERT INTO t (id, text, number, real, flag, blob) VALUES ($id, $text, $number, $real, $flag, $blob)";

    private readonly SqliteConnection _connection = new("Data Source=:memory:");

    public RawStatementTests()
    {
        _connection.Open();
        using var create = _connection.CreateCommand();
        create.CommandText = "CREATE TABLE t (id INTEGER PRIMARY KEY, text TEXT, number INTEGER, real REAL, flag INTEGER, blob BLOB)";
        create.ExecuteNonQuery();
    }

    public static TheoryData<object?, object?, object?, object?, object?> Values => new()
    {
        { "naïve ☃ \"quoted\" 𝄞", 42L, 1.5, true, new byte[] { 0, 1, 255 } },
        { "", 0, 0.0, false, Array.Empty<byte>() },
        { null, int.MinValue, -0.25, false, null },
        { DBNull.Value, long.MaxValue, double.MaxValue, true, DBNull.Value },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void TryExecute_StoresWhatTheCommandWouldStore(object? text, object? number, object? real, object? flag, object? blob)
    {
        using var statement = RawStatement.TryPrepare(_connection.Handle!, Insert);
        Assert.NotNull(statement);

        Assert.True(statement.TryExecute(Parameters(1, text, number, real, flag, blob), out var changed));
        Assert.Equal(1, changed);
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = Insert;
            foreach (var (name, value) in Parameters(2, text, number, real, flag, blob))
            {
                command.Parameters.AddWithValue(name, value ?? DBNull.Value);
            }
            command.ExecuteNonQuery();
        }

        Assert.Equal(Row(2), Row(1));
        Assert.Equal(text is string ? "text" : "null", Type(1, "text")); // an empty text stays text, not NULL
    }

    [Fact]
    public void TryExecute_ConstraintBroken_ThrowsTheSqliteErrorAndTheStatementRunsAgain()
    {
        using var statement = RawStatement.TryPrepare(_connection.Handle!, Insert)!;
        Assert.True(statement.TryExecute(Parameters(1, "a", 1L, 1.0, true, null), out _));

        var refused = Assert.Throws<SqliteException>(() => statement.TryExecute(Parameters(1, "b", 2L, 2.0, false, null), out _));

        Assert.Equal(19, refused.SqliteErrorCode); // SQLITE_CONSTRAINT: the writer undoes only that write
        Assert.True(statement.TryExecute(Parameters(2, "c", 3L, 3.0, false, null), out var changed));
        Assert.Equal(1, changed);
        Assert.Equal([1L, 2L], Ids());
    }

    [Fact]
    public void TryExecute_ValueItDoesNotBind_DeclinesWithNothingRun()
    {
        using var statement = RawStatement.TryPrepare(_connection.Handle!, Insert)!;

        Assert.False(statement.TryExecute(Parameters(1, "a", 1.5m, 1.0, true, null), out _)); // decimal: the command's own text form

        Assert.Empty(Ids());
    }

    [Fact]
    public void TryExecute_UpdateMatchingNothing_ChangesZeroRows()
    {
        using var update = RawStatement.TryPrepare(_connection.Handle!, "UPDATE t SET text = $text WHERE id = $id")!;

        Assert.True(update.TryExecute([("$id", 7L), ("$text", "x")], out var changed));

        Assert.Equal(0, changed);
    }

    [Fact]
    public void TryExecute_ParameterLeftWithoutValue_Throws()
    {
        using var statement = RawStatement.TryPrepare(_connection.Handle!, Insert)!;

        Assert.Throws<InvalidOperationException>(() => statement.TryExecute([("$id", 1L), ("$text", "a")], out _));
    }

    [Fact]
    public void TryPrepare_SeveralStatements_LeavesThemToTheCommand()
    {
        Assert.Null(RawStatement.TryPrepare(_connection.Handle!, "SAVEPOINT a; RELEASE a;"));
    }

    public void Dispose() => _connection.Dispose();

    private static (string Name, object? Value)[] Parameters(long id, object? text, object? number, object? real, object? flag, object? blob) =>
        [("$id", id), ("$text", text), ("$number", number), ("$real", real), ("$flag", flag), ("$blob", blob)];

    private List<object?> Row(long id)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT text, typeof(text), number, real, flag, blob, typeof(blob) FROM t WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        return [.. Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? null : reader.GetValue(i))];
    }

    private string Type(long id, string column)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = $"SELECT typeof({column}) FROM t WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        return (string)command.ExecuteScalar()!;
    }

    private List<long> Ids()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT id FROM t ORDER BY id";
        using var reader = command.ExecuteReader();
        var ids = new List<long>();
        while (reader.Read())
        {
            ids.Add(reader.GetInt64(0));
        }
        return ids;
    }
}
