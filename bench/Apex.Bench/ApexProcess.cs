using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Apex.Bench;

/// <summary>
/// A built <c>Apex.Server</c> or <c>Apex.Worker</c> the bench starts as a child process (<c>dotnet X.dll</c>, Release
/// build of this checkout) on loopback, its settings passed as <c>--Key=value</c> arguments, with what it spends (CPU
/// time, resident memory) read from <c>/proc</c>. Disposing kills it and deletes its data directory.
/// </summary>
internal sealed partial class ApexProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly DirectoryInfo? _data;

    private ApexProcess(string name, Process process, DirectoryInfo? data)
    {
        Name = name;
        _process = process;
        _data = data;
    }

    public string Name { get; }

    /// <summary>The address it listens on (<c>http://127.0.0.1:port</c>).</summary>
    public string Url { get; private set; } = "";

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>User + system CPU time spent so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            try
            {
                _process.Refresh();
                return _process.TotalProcessorTime;
            }
            catch (InvalidOperationException)
            {
                return TimeSpan.Zero;
            }
        }
    }

    /// <summary>Resident set size now, in bytes.</summary>
    public long Rss
    {
        get
        {
            try
            {
                _process.Refresh();
                return _process.WorkingSet64;
            }
            catch (InvalidOperationException)
            {
                return 0;
            }
        }
    }

    /// <summary>
    /// Starts the server: embedded (SQLite in a temporary directory) unless <paramref name="settings"/> name PostgreSQL
    /// and Redis. <paramref name="settings"/> are configuration keys and values (<c>Apex:Simulated:LatencyMs</c>, 0).
    /// </summary>
    public static Task<ApexProcess> StartServerAsync(IEnumerable<KeyValuePair<string, string>> settings, CancellationToken ct)
    {
        var data = Directory.CreateTempSubdirectory("apex-bench-server-");
        return StartAsync("Apex.Server", settings.Prepend(new("Apex:Sqlite:Path", Path.Combine(data.FullName, "apex.db"))), data, ct);
    }

    /// <summary>Starts a worker process (distributed mode: it needs <c>ConnectionStrings:Redis</c> in <paramref name="settings"/>).</summary>
    public static Task<ApexProcess> StartWorkerAsync(IEnumerable<KeyValuePair<string, string>> settings, CancellationToken ct) =>
        StartAsync("Apex.Worker", settings, null, ct);

    /// <summary>Starts <paramref name="project"/> with the bench's defaults (zero-latency Simulated agent, warnings only), then <paramref name="overrides"/>.</summary>
    private static async Task<ApexProcess> StartAsync(string project, IEnumerable<KeyValuePair<string, string>> overrides, DirectoryInfo? data, CancellationToken ct)
    {
        var settings = new Dictionary<string, string>
        {
            ["Apex:Simulated:LatencyMs"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }
        var root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "Apex.slnx")))
        {
            root = Path.GetDirectoryName(root.TrimEnd(Path.DirectorySeparatorChar));
        }
        var dll = root is null ? null : Path.Combine(root, "src", project, "bin", "Release", "net10.0", project + ".dll");
        if (dll is null || !File.Exists(dll))
        {
            data?.Delete(recursive: true);
            throw new InvalidOperationException($"Build {project} first (dotnet build src/{project} -c Release), or pass --url.");
        }
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add("http://127.0.0.1:0");
        foreach (var (key, value) in settings)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {project}.");
        var started = new ApexProcess(project, process, data);
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && ListeningLine().Match(line) is { Success: true } match)
            {
                listening.TrySetResult(match.Groups["url"].Value);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                Console.Error.WriteLine($"{project}: {line}");
            }
        };
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"{project} exited with code {process.ExitCode} before it listened."));
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            started.Url = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
            return started;
        }
        catch
        {
            await started.DisposeAsync();
            throw;
        }
    }

    /// <summary><c>kill -9</c>: no drain, no goodbye.</summary>
    public async Task KillHardAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
        _process.Dispose();
        _data?.Delete(recursive: true);
    }

    [GeneratedRegex(@"Now listening on: (?<url>http://[^\s""]+)")]
    private static partial Regex ListeningLine();
}
