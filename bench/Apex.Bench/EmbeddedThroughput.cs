using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Apex.Contracts.Tasks;
using Apex.Core;
using Apex.Core.Events;
using Apex.Engine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Apex.Bench;

/// <summary>
/// End-to-end throughput of the embedded engine: N tasks submitted by C concurrent clients through the engine's
/// front door (durably committed before acknowledged), run by the in-process workers on a zero-latency Simulated
/// agent, until every one succeeded. Reports submit rate, end-to-end tasks/s and submit→succeeded latency.
/// </summary>
internal static class EmbeddedThroughput
{
    public static Command Command()
    {
        var tasks = new Option<int>("--tasks") { DefaultValueFactory = _ => 20_000, Description = "Tasks to run." };
        var warmup = new Option<int>("--warmup") { DefaultValueFactory = _ => 5_000, Description = "Tasks run first and not measured." };
        var clients = new Option<int>("--clients") { DefaultValueFactory = _ => 64, Description = "Concurrent submitters." };
        var synchronous = new Option<string>("--synchronous") { DefaultValueFactory = _ => "FULL", Description = "SQLite synchronous pragma." };
        var concurrency = new Option<int>("--concurrency") { DefaultValueFactory = _ => 64, Description = "In-process workers (Apex:Engine:MaxConcurrency)." };
        var command = new Command("embedded", "Embedded end-to-end throughput (SQLite + in-process queue and workers).") { tasks, warmup, clients, synchronous, concurrency };
        command.SetAction(async (parse, ct) => await RunAsync(
            parse.GetValue(tasks), parse.GetValue(warmup), parse.GetValue(clients), parse.GetValue(synchronous)!, parse.GetValue(concurrency), ct));
        return command;
    }

    private static async Task<int> RunAsync(int count, int warmup, int clients, string synchronous, int concurrency, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("apex-bench-");
        try
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Apex:Sqlite:Path"] = Path.Combine(directory.FullName, "apex.db"),
                ["Apex:Sqlite:Synchronous"] = synchronous,
                ["Apex:Simulated:LatencyMs"] = "0",
                ["Apex:Engine:MaxConcurrency"] = concurrency.ToString(CultureInfo.InvariantCulture),
                ["Apex:Engine:DefaultAgentMaxConcurrency"] = concurrency.ToString(CultureInfo.InvariantCulture),
            });
            builder.Configuration.AddEnvironmentVariables();
            builder.Logging.ClearProviders();
            builder.Services.AddApexSqlite(builder.Configuration).AddApexEngine(builder.Configuration);
            using var host = builder.Build();
            await host.StartAsync(cancellationToken);
            var engine = host.Services.GetRequiredService<ApexEngine>();
            var bus = host.Services.GetRequiredService<IEventBus>();

            if (warmup > 0)
            {
                await RoundAsync(engine, bus, warmup, clients, cancellationToken);
            }
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var result = await RoundAsync(engine, bus, count, clients, cancellationToken);
            var cpuPerTask = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMicroseconds / count;
            await host.StopAsync(cancellationToken);

            Console.WriteLine($"Machine: {Machine.Describe()}");
            Console.WriteLine($"Embedded end-to-end, zero-latency Simulated agent, SQLite synchronous={synchronous}, {clients} clients, {concurrency} workers, {count} tasks (after {warmup} warm-up):");
            Console.WriteLine();
            Console.WriteLine("| Metric | Value |");
            Console.WriteLine("|---|---|");
            Console.WriteLine($"| Submitted (acknowledged, durable) | {result.SubmitRate:N0} tasks/s |");
            Console.WriteLine($"| End-to-end (submit → succeeded) | {result.Throughput:N0} tasks/s |");
            Console.WriteLine($"| Submit latency p50 / p99 | {result.SubmitP50:N2} ms / {result.SubmitP99:N2} ms |");
            Console.WriteLine($"| Submit → succeeded p50 / p99 | {result.E2eP50:N1} ms / {result.E2eP99:N1} ms |");
            Console.WriteLine($"| Process CPU per task (user + system, load generator included) | {cpuPerTask:N0} µs |");
            return result.Succeeded == count ? 0 : 1;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }

    private static async Task<Round> RoundAsync(ApexEngine engine, IEventBus bus, int count, int clients, CancellationToken cancellationToken)
    {
        var submittedAt = new ConcurrentDictionary<Guid, long>();
        var e2e = new ConcurrentBag<double>();
        var submitLatency = new ConcurrentBag<double>();
        var succeeded = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = bus.Subscribe(e => e.EventType == EventTypes.TaskSucceeded, capacity: count + 1024);
        var consumer = Task.Run(async () =>
        {
            await foreach (var e in subscription.Reader.ReadAllAsync(cancellationToken))
            {
                var now = Stopwatch.GetTimestamp();
                while (!submittedAt.TryGetValue(e.AggregateId, out _))
                {
                    await Task.Yield(); // the event can overtake the submitter's bookkeeping
                }
                e2e.Add(Stopwatch.GetElapsedTime(submittedAt[e.AggregateId], now).TotalMilliseconds);
                if (Interlocked.Increment(ref succeeded) == count)
                {
                    done.TrySetResult();
                    return;
                }
            }
        }, cancellationToken);

        var start = Stopwatch.GetTimestamp();
        var next = -1;
        var submitters = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) < count)
            {
                var t0 = Stopwatch.GetTimestamp();
                var submission = await engine.SubmitTaskAsync(Tenancy.DefaultTenant,
                    new CreateTaskRequest { Name = "bench", Instruction = "Summarise the benchmark input." }, null, null, cancellationToken);
                submittedAt[submission.Task.Id] = t0;
                submitLatency.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
        }, cancellationToken)).ToArray();
        await Task.WhenAll(submitters);
        var submitSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        await done.Task.WaitAsync(TimeSpan.FromMinutes(5), cancellationToken);
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        await consumer;

        var submitSorted = submitLatency.Order().ToList();
        var e2eSorted = e2e.Order().ToList();
        return new Round(count / submitSeconds, count / seconds,
            Machine.Percentile(submitSorted, 50), Machine.Percentile(submitSorted, 99),
            Machine.Percentile(e2eSorted, 50), Machine.Percentile(e2eSorted, 99), succeeded);
    }

    private sealed record Round(double SubmitRate, double Throughput, double SubmitP50, double SubmitP99, double E2eP50, double E2eP99, int Succeeded);
}
