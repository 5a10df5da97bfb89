using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Text;
using Npgsql;

namespace Apex.Bench;

/// <summary>
/// End-to-end throughput of a running distributed deployment (API server + workers + PostgreSQL + Redis): N tasks
/// submitted over HTTP by C concurrent clients, one request per task or in batches through
/// <c>POST /api/v1/tasks/batch</c>, until every one succeeded. Completion is read from PostgreSQL (a count of the unfinished
/// ones every second: it is not free on a busy queue table) and timed by the tasks' own <c>finished_at</c>, so the poll interval does not blur the figure.
/// Loopback only; bounded by the task count and <c>--timeout</c>. <c>bench/scripts/distributed.sh</c> starts the
/// whole topology and runs both modes.
/// </summary>
internal static class DistributedThroughput
{
    private const string Tenant = "default";

    public static Command Command()
    {
        var url = new Option<string>("--url") { Required = true, Description = "Base address of an Apex server in distributed mode (loopback only)." };
        var pg = new Option<string>("--pg") { Required = true, Description = "Connection string of the server's PostgreSQL database (read only: counts finished tasks)." };
        var mode = new Option<string>("--mode") { DefaultValueFactory = _ => "request", Description = "request: one POST /api/v1/tasks per task; batch: POST /api/v1/tasks/batch." };
        var tasks = new Option<int>("--tasks") { DefaultValueFactory = _ => 50_000, Description = "Tasks measured." };
        var warmup = new Option<int>("--warmup") { DefaultValueFactory = _ => 10_000, Description = "Tasks run first and not measured." };
        var clients = new Option<int>("--clients") { DefaultValueFactory = _ => 64, Description = "Concurrent HTTP clients (connections)." };
        var batchSize = new Option<int>("--batch-size") { DefaultValueFactory = _ => 1_000, Description = "Tasks per batch request (batch mode)." };
        var timeout = new Option<int>("--timeout") { DefaultValueFactory = _ => 300, Description = "Seconds a round may take before the bench gives up." };
        var command = new Command("distributed", "Distributed end-to-end throughput against a running server and workers.")
        {
            url, pg, mode, tasks, warmup, clients, batchSize, timeout,
        };
        command.SetAction(async (parse, ct) =>
        {
            var options = new Settings(new Uri(parse.GetValue(url)!), parse.GetValue(pg)!, parse.GetValue(mode)!, parse.GetValue(clients), parse.GetValue(batchSize),
                TimeSpan.FromSeconds(parse.GetValue(timeout)));
            return await RunAsync(options, parse.GetValue(tasks), parse.GetValue(warmup), ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(Settings settings, int count, int warmup, CancellationToken cancellationToken)
    {
        if (!settings.Url.IsLoopback)
        {
            Console.Error.WriteLine("The distributed bench only targets loopback addresses.");
            return 2;
        }
        if (settings.Mode is not ("request" or "batch"))
        {
            Console.Error.WriteLine("--mode must be request or batch.");
            return 2;
        }
        using var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = settings.Clients,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        })
        {
            BaseAddress = settings.Url,
            Timeout = TimeSpan.FromSeconds(60),
        };
        await using var dataSource = NpgsqlDataSource.Create(settings.Postgres);
        if (warmup > 0)
        {
            await RoundAsync(http, dataSource, settings, warmup, cancellationToken);
        }
        var result = await RoundAsync(http, dataSource, settings, count, cancellationToken);

        Console.WriteLine($"Machine: {Machine.Describe()}");
        Console.WriteLine($"Distributed end-to-end, mode {settings.Mode}{(settings.Mode == "batch" ? $" ({settings.BatchSize} tasks a request)" : "")}, " +
            $"{settings.Clients} clients, {count} tasks (after {warmup} warm-up):");
        Console.WriteLine();
        Console.WriteLine("| Metric | Value |");
        Console.WriteLine("|---|---|");
        Console.WriteLine($"| Submitted (acknowledged, durable) | {result.SubmitRate:N0} tasks/s |");
        Console.WriteLine($"| End to end (first submit → last succeeded) | {result.Throughput:N0} tasks/s |");
        Console.WriteLine($"| Request latency p50 / p99 | {result.RequestP50:N1} ms / {result.RequestP99:N1} ms |");
        Console.WriteLine($"| Rejected requests (retried) | {result.Rejected} |");
        Console.WriteLine($"| Succeeded / failed | {result.Succeeded} / {result.Failed} |");
        return result.Succeeded == count ? 0 : 1;
    }

    private static async Task<Round> RoundAsync(HttpClient http, NpgsqlDataSource dataSource, Settings settings, int count, CancellationToken cancellationToken)
    {
        var since = await ScalarAsync<DateTime>(dataSource, "SELECT now()", cancellationToken);
        var perRequest = settings.Mode == "batch" ? settings.BatchSize : 1;
        var requests = (count + perRequest - 1) / perRequest;
        var bodies = new byte[requests][];
        for (var i = 0; i < requests; i++)
        {
            var size = Math.Min(perRequest, count - (i * perRequest));
            bodies[i] = settings.Mode == "batch" ? BatchBody(i, size) : Encoding.UTF8.GetBytes($$"""{"name":"bench","instruction":"Task {{i}}"}""");
        }
        var path = settings.Mode == "batch" ? "api/v1/tasks/batch" : "api/v1/tasks";
        var latencies = new double[requests];
        var next = -1;
        var rejected = 0;
        var clock = Stopwatch.StartNew();
        var clients = Enumerable.Range(0, Math.Min(settings.Clients, requests)).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                var started = Stopwatch.GetTimestamp();
                while (true)
                {
                    using var content = new ByteArrayContent(bodies[i]);
                    content.Headers.ContentType = new("application/json");
                    using var response = await http.PostAsync(path, content, cancellationToken);
                    if (response.IsSuccessStatusCode)
                    {
                        break;
                    }
                    if (response.StatusCode is not (HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests))
                    {
                        throw new InvalidOperationException($"POST {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                    }
                    // Pushed back: the bench counts it and tries again, as a client would.
                    Interlocked.Increment(ref rejected);
                    await Task.Delay(50, cancellationToken);
                }
                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }, cancellationToken)).ToArray();
        await Task.WhenAll(clients);
        var submitted = clock.Elapsed;

        // Wait on the unfinished ones (small partial indexes), then read the round's outcome once.
        var deadline = Stopwatch.StartNew();
        while (await ScalarAsync<long>(dataSource, """
            SELECT count(*) FROM tasks WHERE status IN ('pending', 'queued', 'running') AND tenant_id = @tenant AND created_at >= @since
            """, cancellationToken, since) > 0 && deadline.Elapsed < settings.Timeout)
        {
            await Task.Delay(1000, cancellationToken);
        }
        var state = await FinishedAsync(dataSource, since, cancellationToken);
        var first = await ScalarAsync<DateTime>(dataSource, "SELECT min(created_at) FROM tasks WHERE tenant_id = @tenant AND created_at >= @since",
            cancellationToken, since);
        var span = (state.Last ?? DateTime.UtcNow) - first;
        Array.Sort(latencies);
        var sorted = latencies.ToList();
        return new Round(
            count / submitted.TotalSeconds,
            count / Math.Max(span.TotalSeconds, 0.001),
            Machine.Percentile(sorted, 50),
            Machine.Percentile(sorted, 99),
            rejected,
            state.Done - state.Failed,
            state.Failed);
    }

    private static byte[] BatchBody(int request, int size)
    {
        var builder = new StringBuilder("{\"tasks\":[");
        for (var j = 0; j < size; j++)
        {
            builder.Append(j == 0 ? "" : ",").Append($$"""{"name":"bench","instruction":"Task {{request}}.{{j}}"}""");
        }
        return Encoding.UTF8.GetBytes(builder.Append("]}").ToString());
    }

    /// <summary>Tasks of this round that finished, how many of them did not succeed, and when the last one finished.</summary>
    private static async Task<(long Done, long Failed, DateTime? Last)> FinishedAsync(NpgsqlDataSource dataSource, DateTime since, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT count(*), count(*) FILTER (WHERE status <> 'succeeded'), max(finished_at) FROM tasks
            WHERE tenant_id = @tenant AND created_at >= @since AND status IN ('succeeded', 'failed', 'cancelled', 'skipped')
            """);
        command.Parameters.AddWithValue("tenant", Tenant);
        command.Parameters.AddWithValue("since", since);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetDateTime(2));
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken, DateTime? since = null)
    {
        await using var command = dataSource.CreateCommand(sql);
        if (since is { } value)
        {
            command.Parameters.AddWithValue("tenant", Tenant);
            command.Parameters.AddWithValue("since", value);
        }
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private sealed record Settings(Uri Url, string Postgres, string Mode, int Clients, int BatchSize, TimeSpan Timeout);

    private sealed record Round(double SubmitRate, double Throughput, double RequestP50, double RequestP99, int Rejected, long Succeeded, long Failed);
}
