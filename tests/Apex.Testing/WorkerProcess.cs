using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Apex.Testing;

/// <summary>
/// The real, built Apex.Worker (the .NET worker host of distributed mode) as a child process: started with
/// <c>dotnet Apex.Worker.dll</c> and the given configuration keys, ready once it logs that its service started (Redis
/// connected, cancels subscribed, about to read work). Killable (SIGKILL) or stoppable (SIGTERM, which drains).
/// </summary>
public sealed partial class WorkerProcess : IAsyncDisposable
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private static readonly TimeSpan ReadyDeadline = TimeSpan.FromSeconds(60);

    private WorkerProcess(string workerId, ChildProcess process)
    {
        WorkerId = workerId;
        Process = process;
    }

    /// <summary>The worker's id (<c>Apex:Worker:WorkerId</c>): its consumer name and lease owner.</summary>
    public string WorkerId { get; }

    /// <summary>The process.</summary>
    public ChildProcess Process { get; }

    /// <summary>The worker's entry assembly, built in the configuration this test was built in.</summary>
    public static string WorkerAssembly =>
        Path.Combine(ServerProcess.RepositoryRoot, "src", "Apex.Worker", "bin", Configuration, "net10.0", "Apex.Worker.dll");

    /// <summary>
    /// Starts a worker with id <paramref name="workerId"/> and <paramref name="settings"/> (configuration keys, e.g.
    /// <c>ConnectionStrings:Redis</c>, <c>Apex:Redis:Prefix</c>), logging to <c>worker-{id}.log</c> in
    /// <paramref name="logDirectory"/>, and waits until it is ready.
    /// </summary>
    public static async Task<WorkerProcess> StartAsync(string workerId, IReadOnlyDictionary<string, string> settings, string logDirectory,
        CancellationToken cancellationToken = default)
    {
        if (!File.Exists(WorkerAssembly))
        {
            throw new FileNotFoundException($"Build Apex.Worker ({Configuration}) first; the E2E project references it so a build of the tests does.", WorkerAssembly);
        }
        var start = new ProcessStartInfo(DotnetHost()) { WorkingDirectory = Path.GetDirectoryName(WorkerAssembly)! };
        start.ArgumentList.Add(WorkerAssembly);
        start.ArgumentList.Add($"--Apex:Worker:WorkerId={workerId}");
        foreach (var (key, value) in settings)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment.Remove("ASPNETCORE_URLS");

        Directory.CreateDirectory(logDirectory);
        var process = ChildProcess.Start($"worker {workerId}", start, Path.Combine(logDirectory, $"worker-{workerId}.log"));
        var worker = new WorkerProcess(workerId, process);
        try
        {
            // WorkerService logs this once it subscribed to cancels and is about to read work.
            var line = $"Worker {workerId} started with";
            await process.WaitForLogAsync(l => l.Contains(line, StringComparison.Ordinal), "start-up line", ReadyDeadline, cancellationToken);
            return worker;
        }
        catch
        {
            await worker.DisposeAsync();
            throw;
        }
    }

    /// <summary>Where the worker's HTTP endpoints (<c>/health/live</c>, <c>/health/ready</c>) listen, from its start-up log.</summary>
    public async Task<Uri> ListeningAddressAsync(CancellationToken cancellationToken = default)
    {
        await Process.WaitForLogAsync(l => ListeningLine().IsMatch(l), "listening address", TimeSpan.FromSeconds(30), cancellationToken);
        var match = ReadLog().Split('\n').Select(l => ListeningLine().Match(l)).First(m => m.Success);
        return new Uri(match.Groups["url"].Value);
    }

    /// <summary>SIGKILL: the worker dies holding its leases, sending nothing.</summary>
    public void KillHard() => Process.KillHard();

    /// <summary>SIGTERM: the worker stops reading, drains, releases what is left and exits by itself.</summary>
    public void Terminate() => Process.Terminate();

    /// <summary>The worker's output so far.</summary>
    public string ReadLog() => Process.ReadLog();

    /// <summary>Kills the worker if it still runs.</summary>
    public ValueTask DisposeAsync() => Process.DisposeAsync();

    // The host's start-up line, in the text and the JSON console formats alike.
    [GeneratedRegex(@"Now listening on: (?<url>http://[^\s""]+)")]
    private static partial Regex ListeningLine();

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}
