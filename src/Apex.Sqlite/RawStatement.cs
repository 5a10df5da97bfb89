using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Apex.Sqlite;

/// <summary>
/// One statement that returns no rows, prepared once on the writer's connection and run through SQLite's own API.
/// </summary>
/// <remarks>
/// The writer runs thousands of these a second (an event row, a usage line, a task's end for every task).
/// Microsoft.Data.Sqlite allocates for each run: a binder per parameter, a data reader and an enumerator over the
/// command's statements. The profile of the concurrent-agents run put a third of the server's allocations in the writer,
/// a third of them parameter binders. Here a run binds in place and steps. It runs inside the writer's transaction: the
/// transaction belongs to the connection, not to a command. Values it cannot bind exactly as Microsoft.Data.Sqlite
/// would (anything but null, text, integers, booleans, doubles and byte arrays) make <see cref="TryExecute"/> decline.
/// The caller then runs the command through Microsoft.Data.Sqlite instead.
/// </remarks>
internal sealed class RawStatement : IDisposable
{
    private static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(30);

    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private readonly int _parameterCount;
    private string[] _names = [];
    private int[] _indexes = [];

    private RawStatement(sqlite3 db, sqlite3_stmt statement)
    {
        _db = db;
        _statement = statement;
        _parameterCount = raw.sqlite3_bind_parameter_count(statement);
    }

    /// <summary>Prepares <paramref name="sql"/>; null when it is not exactly one statement (the command handles those).</summary>
    public static RawStatement? TryPrepare(sqlite3 db, string sql)
    {
        var rc = raw.sqlite3_prepare_v2(db, sql, out var statement, out string tail);
        if (rc != raw.SQLITE_OK)
        {
            statement?.Dispose();
            SqliteException.ThrowExceptionForRC(rc, db);
        }
        if (statement is null || statement.IsInvalid || !string.IsNullOrWhiteSpace(tail))
        {
            statement?.Dispose();
            return null;
        }
        return new RawStatement(db, statement);
    }

    /// <summary>
    /// Binds and runs the statement to its end; the rows it changed (-1 for a statement that changes none, as
    /// <see cref="SqliteCommand.ExecuteNonQuery"/> counts). False, with nothing run, when a value is of a type it does not bind.
    /// </summary>
    public bool TryExecute(ReadOnlySpan<(string Name, object? Value)> parameters, out int changed)
    {
        changed = -1;
        var indexes = Indexes(parameters);
        for (var i = 0; i < parameters.Length; i++)
        {
            if (indexes[i] > 0 && !Bindable(parameters[i].Value))
            {
                return false;
            }
        }
        try
        {
            for (var i = 0; i < parameters.Length; i++)
            {
                if (indexes[i] > 0)
                {
                    Check(Bind(indexes[i], parameters[i].Value));
                }
            }
            var rc = Step();
            if (rc != raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }
            changed = raw.sqlite3_stmt_readonly(_statement) == 0 ? raw.sqlite3_changes(_db) : -1;
            return true;
        }
        finally
        {
            raw.sqlite3_reset(_statement);
            raw.sqlite3_clear_bindings(_statement);
        }
    }

    public void Dispose() => _statement.Dispose();

    /// <summary>Steps past any rows to the end; a busy database is waited for as Microsoft.Data.Sqlite does.</summary>
    private int Step()
    {
        var started = Environment.TickCount64;
        while (true)
        {
            var rc = raw.sqlite3_step(_statement);
            if (rc == raw.SQLITE_ROW)
            {
                continue;
            }
            if ((rc is raw.SQLITE_BUSY or raw.SQLITE_LOCKED) && Environment.TickCount64 - started < BusyTimeout.TotalMilliseconds)
            {
                raw.sqlite3_reset(_statement);
                Thread.Sleep(1);
                continue;
            }
            return rc;
        }
    }

    /// <summary>
    /// Each parameter's index in the statement, resolved by name once for a sequence of names (a call site passes the same
    /// names in the same order every time). A parameter the statement lacks gets 0 and is skipped, as the command skips it;
    /// a statement parameter nobody passed is an error, as it is for the command.
    /// </summary>
    private int[] Indexes(ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var same = _names.Length == parameters.Length;
        for (var i = 0; same && i < parameters.Length; i++)
        {
            same = string.Equals(_names[i], parameters[i].Name, StringComparison.Ordinal);
        }
        if (same)
        {
            return _indexes;
        }
        var names = new string[parameters.Length];
        var indexes = new int[parameters.Length];
        var bound = new HashSet<int>();
        for (var i = 0; i < parameters.Length; i++)
        {
            names[i] = parameters[i].Name;
            indexes[i] = raw.sqlite3_bind_parameter_index(_statement, parameters[i].Name);
            if (indexes[i] > 0)
            {
                bound.Add(indexes[i]);
            }
        }
        if (bound.Count != _parameterCount)
        {
            throw new InvalidOperationException($"The statement has {_parameterCount} parameter(s); {bound.Count} were given a value.");
        }
        (_names, _indexes) = (names, indexes);
        return indexes;
    }

    private static bool Bindable(object? value) => value is null or DBNull or string or long or int or bool or double or byte[];

    private int Bind(int index, object? value) => value switch
    {
        null or DBNull => raw.sqlite3_bind_null(_statement, index),
        string text => raw.sqlite3_bind_text16(_statement, index, text.AsSpan()),
        long integer => raw.sqlite3_bind_int64(_statement, index, integer),
        int integer => raw.sqlite3_bind_int64(_statement, index, integer),
        bool flag => raw.sqlite3_bind_int64(_statement, index, flag ? 1 : 0),
        double real => raw.sqlite3_bind_double(_statement, index, real),
        byte[] blob => raw.sqlite3_bind_blob(_statement, index, blob),
        _ => throw new InvalidOperationException($"Cannot bind a {value.GetType().Name}."),
    };

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
    }
}
