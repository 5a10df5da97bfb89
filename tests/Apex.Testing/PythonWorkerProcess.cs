using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using StackExchange.Redis;

namespace Apex.Testing;

/// <summary>
/// The reference Python worker (<c>workers/python/apex_worker.py</c>) as a child process, started with
/// <c>python3</c> directly. Ready once its presence hash <c>{prefix}:worker:{id}</c> exists: it writes it after
/// creating the work group and subscribing to cancels, just before it starts reading.
/// </summary>
public sealed partial class PythonWorkerProcess : IAsyncDisposable
{
    private static readonly TimeSpan ReadyDeadline = TimeSpan.FromSeconds(30);

    private PythonWorkerProcess(string workerId, ChildProcess process)
    {
        WorkerId = workerId;
        Process = process;
    }

    /// <summary>The worker's id: its consumer name and lease owner.</summary>
    public string WorkerId { get; }

    /// <summary>The process.</summary>
    public ChildProcess Process { get; }

    /// <summary>The entry script.</summary>
    public static string Script => Path.Combine(ServerProcess.RepositoryRoot, "workers", "python", "apex_worker.py");

    /// <summary>The Python interpreter: <c>APEX_TEST_PYTHON</c>, else <c>python3</c> on the PATH.</summary>
    public static string Interpreter => Environment.GetEnvironmentVariable("APEX_TEST_PYTHON") is { Length: > 0 } python ? python : "python3";

    /// <summary>
    /// Starts the worker against <paramref name="redisEndpoint"/> (<c>HOST:PORT</c>) under <paramref name="prefix"/>,
    /// logging to <c>python-{id}.log</c> in <paramref name="logDirectory"/>, and waits until its presence hash appears in
    /// <paramref name="redis"/>. <paramref name="extraArguments"/> are passed as they are (e.g. <c>--latency-ms</c>).
    /// </summary>
    public static async Task<PythonWorkerProcess> StartAsync(string redisEndpoint, string prefix, string workerId, int concurrency, int leaseTtlMs,
        IReadOnlyList<string> extraArguments, IDatabase redis, string logDirectory, CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo(Interpreter) { WorkingDirectory = ServerProcess.RepositoryRoot };
        start.ArgumentList.Add(Script);
        foreach (var argument in new[]
        {
            "--redis", redisEndpoint, "--prefix", prefix, "--worker-id", workerId,
            "--concurrency", concurrency.ToString(CultureInfo.InvariantCulture),
            "--lease-ttl-ms", leaseTtlMs.ToString(CultureInfo.InvariantCulture),
        }.Concat(extraArguments))
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["PYTHONUNBUFFERED"] = "1";
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";

        Directory.CreateDirectory(logDirectory);
        var process = ChildProcess.Start($"python worker {workerId}", start, Path.Combine(logDirectory, $"python-{workerId}.log"));
        var worker = new PythonWorkerProcess(workerId, process);
        try
        {
            RedisKey presence = $"{prefix}:worker:{workerId}";
            var ready = await ApexHttp.PollAsync<string>(async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"{process.Name} exited with code {process.ExitCode} before it was ready. Log:\n{process.ReadLog()}");
                }
                return await redis.KeyExistsAsync(presence) ? "ready" : null;
            }, ReadyDeadline, cancellationToken);
            if (ready is null)
            {
                throw new TimeoutException($"{process.Name} was not ready within {ReadyDeadline}. Log:\n{process.ReadLog()}");
            }
            return worker;
        }
        catch
        {
            await worker.DisposeAsync();
            throw;
        }
    }

    /// <summary>The (task, attempt) pairs this worker reported with <paramref name="outcome"/> (<c>succeeded</c>, <c>failed</c>, <c>released</c>), from its log.</summary>
    public IReadOnlyList<(Guid TaskId, int Attempt)> Reported(string outcome = "succeeded") =>
        [.. ResultLine().Matches(Process.ReadLog())
            .Where(m => m.Groups["outcome"].Value == outcome)
            .Select(m => (Guid.Parse(m.Groups["task"].Value), int.Parse(m.Groups["attempt"].Value, CultureInfo.InvariantCulture)))];

    /// <summary>How many work entries it dropped without running them: a duplicate of an attempt it runs, or a lease lost, stale or taken.</summary>
    public int DroppedEntries() => DroppedLine().Count(Process.ReadLog());

    /// <summary>SIGKILL.</summary>
    public void KillHard() => Process.KillHard();

    /// <summary>SIGTERM: drains for <c>--drain-seconds</c>, then releases.</summary>
    public void Terminate() => Process.Terminate();

    /// <summary>The worker's output so far.</summary>
    public string ReadLog() => Process.ReadLog();

    /// <summary>Kills the worker if it still runs.</summary>
    public ValueTask DisposeAsync() => Process.DisposeAsync();

    [GeneratedRegex(@"task (?<task>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}) attempt (?<attempt>\d+) (?<outcome>succeeded|failed|released) \(result ")]
    private static partial Regex ResultLine();

    [GeneratedRegex(@"(duplicate dropped|: lease (lost|stale|taken); dropping entry)")]
    private static partial Regex DroppedLine();
}
