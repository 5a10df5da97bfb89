using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Apex.Engine.Events;
using Apex.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Apex.Bench;

/// <summary>
/// The embedded store's floor: only the SQL a task needs, on Apex's own SQLite schema and pragmas, from one thread with
/// prepared statements and nothing else in the process (no engine, no agent, no JSON, no channel). Batches of
/// <c>--batch</c> tasks go through three transactions like the group commits do: insert queued, claim to running,
/// end to succeeded, each row change with its event (DESIGN invariants 2 and 3). What the engine adds is the gap
/// between this and <c>embedded</c>. The SQLite twin of <c>bench/scripts/pg_floor.sh</c>.
/// </summary>
internal static class SqliteFloor
{
    private const string Instruction = "Summarise the quarterly report in three bullet points";
    private const string Output = "[simulated] Key finding: throughput and latency of the durable queue depend on the lease, the retry backoff " +
        "and the cost of each event; Recommendation: batch the writes, keep the workers busy, watch the budget.";

    public static Command Command()
    {
        var tasks = new Option<int>("--tasks") { DefaultValueFactory = _ => 40_000, Description = "Tasks per variant." };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 500, Description = "Tasks per transaction." };
        var synchronous = new Option<string>("--synchronous") { DefaultValueFactory = _ => "FULL", Description = "SQLite synchronous pragma." };
        var command = new Command("sqlite-floor", "The design's SQL alone on the embedded store's schema: tasks/s and CPU per task.") { tasks, batch, synchronous };
        command.SetAction(async (parse, ct) => await RunAsync(parse.GetValue(tasks), parse.GetValue(batch), parse.GetValue(synchronous)!, ct));
        return command;
    }

    private static async Task<int> RunAsync(int count, int batch, string synchronous, CancellationToken cancellationToken)
    {
        Console.WriteLine($"Machine: {Machine.Describe()}");
        Console.WriteLine($"SQLite floor: Apex's schema, synchronous={synchronous}, one thread, {count:N0} tasks per variant in batches of {batch:N0} (after {count / 4:N0} warm-up):");
        Console.WriteLine();
        Console.WriteLine("| Variant | Row versions per task | Events per task | Tasks/s | CPU per task |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var variant in Enum.GetValues<Variant>())
        {
            var directory = Directory.CreateTempSubdirectory("apex-sqlite-floor-");
            try
            {
                var path = Path.Combine(directory.FullName, "apex.db");
                var options = Options.Create(new SqliteOptions { Path = path, Synchronous = synchronous });
                await using (var store = new SqliteApexStore(options, new InProcessEventBus(), TimeProvider.System, NullLogger<SqliteApexStore>.Instance))
                {
                    await store.InitializeAsync(cancellationToken); // the real schema and pragmas
                }
                using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
                connection.Open();
                Exec(connection, $"PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous};");
                using var cycle = new Cycle(connection, variant);
                for (var done = 0; done < count / 4; done += batch)
                {
                    cycle.Run(batch);
                }
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var start = Stopwatch.GetTimestamp();
                for (var done = 0; done < count; done += batch)
                {
                    cycle.Run(Math.Min(batch, count - done));
                }
                var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                var cpuPerTask = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / count;
                var (versions, events) = variant switch
                {
                    Variant.Design => (3, 3),
                    Variant.NoEvents => (3, 0),
                    _ => (2, 0),
                };
                Console.WriteLine(FormattableString.Invariant($"| `{variant}` | {versions} | {events} | {count / seconds:N0} | {cpuPerTask:N0} µs |"));
            }
            finally
            {
                SqliteConnection.ClearAllPools();
                directory.Delete(recursive: true);
            }
        }
        Console.WriteLine();
        Console.WriteLine("`Design`: insert queued, claim to running, end to succeeded, an event with each (the store's statements). " +
            "`NoEvents`: the same row versions without events. `TwoVersions`: insert queued and one update to the end, no events.");
        return 0;
    }

    private static void Exec(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private enum Variant
    {
        Design,
        NoEvents,
        TwoVersions,
    }

    /// <summary>One batch: the three transactions, prepared once, parameters bound by position.</summary>
    private sealed class Cycle : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly Variant _variant;
        private readonly SqliteCommand _insert;
        private readonly SqliteCommand _claim;
        private readonly SqliteCommand _end;
        private readonly SqliteCommand _event;
        private readonly List<string> _ids = [];

        public Cycle(SqliteConnection connection, Variant variant)
        {
            _connection = connection;
            _variant = variant;
            _insert = Prepare("""
                INSERT INTO tasks (id, tenant_id, name, instruction, agent, status, priority, attempt, max_attempts, created_at, version)
                VALUES ($id, 'default', 'bench', $instruction, 'default', 'queued', 0, 0, 3, $at, 1)
                """, "$id", "$instruction", "$at");
            _claim = Prepare("""
                UPDATE tasks SET status = 'running', attempt = attempt + 1, started_at = $at, run_at = NULL, worker = 'worker-1', version = version + 1
                WHERE id = $id AND status = 'queued'
                """, "$id", "$at");
            _end = Prepare("""
                UPDATE tasks SET status = 'succeeded', output = $output, input_tokens = input_tokens + 40, output_tokens = output_tokens + 60,
                    cost_nanousd = cost_nanousd + 42000, api_calls = api_calls + 1, finished_at = $at, run_at = NULL, version = version + 1
                WHERE id = $id
                """, "$id", "$output", "$at");
            _event = Prepare("""
                INSERT INTO events (tenant_id, aggregate_type, aggregate_id, dag_id, version, event_type, data, created_at)
                VALUES ('default', 'task', $id, NULL, $version, $type, $data, $at)
                RETURNING seq
                """, "$id", "$version", "$type", "$data", "$at");
        }

        public void Run(int batch)
        {
            _ids.Clear();
            for (var i = 0; i < batch; i++)
            {
                _ids.Add(Guid.CreateVersion7().ToString());
            }
            var created = "{\"name\":\"bench\",\"agent\":\"default\",\"priority\":0,\"max_attempts\":3,\"instruction\":\"" + Instruction + "\"}";
            Transaction(id =>
            {
                Execute(_insert, id, Instruction, Now());
                Event(id, 1, "task_created", created);
            });
            if (_variant != Variant.TwoVersions)
            {
                Transaction(id =>
                {
                    Execute(_claim, id, Now());
                    Event(id, 2, "task_started", "{\"attempt\":1,\"worker\":\"worker-1\"}");
                });
            }
            var succeeded = "{\"attempt\":1,\"output\":\"" + Output + "\",\"usage\":{\"input_tokens\":40,\"output_tokens\":60,\"cost_usd\":0.000042,\"api_calls\":1}}";
            Transaction(id =>
            {
                Execute(_end, id, Output, Now());
                Event(id, 3, "task_succeeded", succeeded);
            });
        }

        private void Event(string id, int version, string type, string data)
        {
            if (_variant == Variant.Design)
            {
                _event.Parameters[0].Value = id;
                _event.Parameters[1].Value = version;
                _event.Parameters[2].Value = type;
                _event.Parameters[3].Value = data;
                _event.Parameters[4].Value = Now();
                _ = _event.ExecuteScalar();
            }
        }

        private void Transaction(Action<string> perTask)
        {
            using var transaction = _connection.BeginTransaction(deferred: false);
            foreach (var command in new[] { _insert, _claim, _end, _event })
            {
                command.Transaction = transaction;
            }
            foreach (var id in _ids)
            {
                perTask(id);
            }
            transaction.Commit();
        }

        private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        private static void Execute(SqliteCommand command, params ReadOnlySpan<object> values)
        {
            for (var i = 0; i < values.Length; i++)
            {
                command.Parameters[i].Value = values[i];
            }
            _ = command.ExecuteNonQuery();
        }

        private SqliteCommand Prepare(string sql, params string[] names)
        {
            var command = _connection.CreateCommand();
            command.CommandText = sql;
            foreach (var name in names)
            {
                _ = command.Parameters.Add(new SqliteParameter(name, DBNull.Value));
            }
            return command;
        }

        public void Dispose()
        {
            foreach (var command in new[] { _insert, _claim, _end, _event })
            {
                command.Dispose();
            }
        }
    }
}
