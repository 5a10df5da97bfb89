using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Apex.Testing;

/// <summary>
/// The real, built Apex.Server as a child process on a data directory of its own: started with <c>dotnet Apex.Server.dll</c>,
/// ready once <c>/health/ready</c> answers 200, killable without warning and restartable on the same data. Its output
/// goes to <see cref="LogPath"/> so a failing test can show what the server said.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private static readonly TimeSpan ReadyDeadline = TimeSpan.FromSeconds(60);

    private readonly IReadOnlyDictionary<string, string> _settings;
    private readonly Lock _logLock = new();
    private readonly StreamWriter _log;
    private Process? _process;
    private int _starts;

    private ServerProcess(string dataDirectory, IReadOnlyDictionary<string, string> settings)
    {
        DataDirectory = dataDirectory;
        _settings = settings;
        LogPath = Path.Combine(dataDirectory, "server.log");
        _log = new StreamWriter(new FileStream(LogPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite), Encoding.UTF8) { AutoFlush = true };
    }

    /// <summary>The directory holding the database and the log; deleted on dispose.</summary>
    public string DataDirectory { get; }

    /// <summary>The server's stdout and stderr, over every start.</summary>
    public string LogPath { get; }

    /// <summary>Where the current process listens.</summary>
    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    /// <summary>The server's entry assembly, built in the configuration this test was built in.</summary>
    public static string ServerAssembly =>
        Path.Combine(RepositoryRoot, "src", "Apex.Server", "bin", Configuration, "net10.0", "Apex.Server.dll");

    /// <summary>The repository root: the nearest ancestor of the test's output holding <c>Apex.slnx</c> (or the server project).</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Apex.slnx"))
                    || File.Exists(Path.Combine(directory.FullName, "src", "Apex.Server", "Apex.Server.csproj")))
                {
                    return directory.FullName;
                }
            }
            throw new InvalidOperationException($"No Apex.slnx above {AppContext.BaseDirectory}.");
        }
    }

    /// <summary>Starts a server on a fresh data directory with <paramref name="settings"/> (configuration keys) and waits until it is ready.</summary>
    public static async Task<ServerProcess> StartAsync(IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken = default)
    {
        var directory = Path.Combine(Path.GetTempPath(), "apex-e2e", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var server = new ServerProcess(directory, settings);
        try
        {
            await server.StartAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A client for the current process.</summary>
    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Starts the server again on the same data directory (on a new port) and waits until it is ready.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException("The server is still running.");
        }
        _process?.Dispose();
        if (!File.Exists(ServerAssembly))
        {
            throw new FileNotFoundException($"Build Apex.Server ({Configuration}) first; the test references it so a build of the test does.", ServerAssembly);
        }

        var port = FreePort();
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = Path.GetDirectoryName(ServerAssembly)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ServerAssembly);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(BaseAddress.ToString().TrimEnd('/'));
        start.ArgumentList.Add($"--Apex:Sqlite:Path={Path.Combine(DataDirectory, "apex.db")}");
        foreach (var (key, value) in _settings)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment.Remove("ASPNETCORE_URLS");

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => WriteLog("out", e.Data);
        process.ErrorDataReceived += (_, e) => WriteLog("err", e.Data);
        WriteLog("test", $"start #{++_starts}: {start.FileName} {string.Join(' ', start.ArgumentList)}");
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await WaitUntilReadyAsync(process, cancellationToken);
    }

    /// <summary>SIGKILL to the server and its children, then waits until it is gone: no shutdown code runs.</summary>
    public void KillHard()
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }
        WriteLog("test", "kill -9");
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    /// <summary>The server's output so far.</summary>
    public string ReadLog()
    {
        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Kills the server and deletes the data directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        _process?.Dispose();
        lock (_logLock)
        {
            _log.Dispose();
        }
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left to the OS's temp cleanup.
        }
    }

    private async Task WaitUntilReadyAsync(Process process, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var ready = await ApexHttp.PollAsync<string>(async () =>
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The server exited with code {process.ExitCode} before it was ready. Log:\n{ReadLog()}");
            }
            try
            {
                using var response = await client.GetAsync("/health/ready", cancellationToken);
                return response.StatusCode == HttpStatusCode.OK ? "ready" : null;
            }
            catch (HttpRequestException)
            {
                return null; // not listening yet
            }
        }, ReadyDeadline, cancellationToken);
        if (ready is null)
        {
            throw new TimeoutException($"The server was not ready within {ReadyDeadline}. Log:\n{ReadLog()}");
        }
    }

    private void WriteLog(string stream, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_logLock)
        {
            try
            {
                _log.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} [{stream}] {line}");
            }
            catch (ObjectDisposedException)
            {
                // Output that arrives after dispose has nowhere to go.
            }
        }
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
