using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Apex.Testing;

/// <summary>
/// A throwaway PostgreSQL server of one test's own (for fault injection that must not touch the shared one): a cluster
/// made by <c>initdb</c> in a directory under the temp folder, started with <c>pg_ctl -w</c> on a free loopback port,
/// stopped without warning (<c>pg_ctl stop -m immediate</c>: no checkpoint, every connection cut) and started again on
/// the same data and port, which runs crash recovery. initdb refuses root, so as root every PostgreSQL program runs as
/// the <c>postgres</c> user through <c>runuser</c>. Waits use <c>pg_ctl -w</c> and a query, never the process id:
/// stopped servers may linger as zombies where nothing reaps them.
/// </summary>
public sealed class PostgresInstance : IAsyncDisposable
{
    private const string OsUser = "postgres";

    private static readonly TimeSpan CommandDeadline = TimeSpan.FromSeconds(60);

    private readonly string _bin;
    private bool _running;

    private PostgresInstance(string bin, string directory, int port)
    {
        _bin = bin;
        Directory = directory;
        Port = port;
    }

    /// <summary>The directory holding the data directory, the socket and the log; deleted on dispose.</summary>
    public string Directory { get; }

    /// <summary>The loopback port, the same over every start.</summary>
    public int Port { get; }

    /// <summary>The server's log, over every start.</summary>
    public string LogPath => Path.Combine(Directory, "server.log");

    /// <summary>The <c>postgres</c> database as the superuser (trust authentication, loopback only).</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username=postgres;Database=postgres";

    private string DataDirectory => Path.Combine(Directory, "data");

    /// <summary>The newest installed PostgreSQL's program folder (<c>/usr/lib/postgresql/*/bin</c> with the highest version), or null.</summary>
    public static string? BinDirectory
    {
        get
        {
            const string root = "/usr/lib/postgresql";
            if (!System.IO.Directory.Exists(root))
            {
                return null;
            }
            return System.IO.Directory.GetDirectories(root)
                .Select(d => (Version: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1, Bin: Path.Combine(d, "bin")))
                .Where(d => d.Version >= 0 && File.Exists(Path.Combine(d.Bin, "initdb")))
                .OrderByDescending(d => d.Version)
                .Select(d => d.Bin)
                .FirstOrDefault();
        }
    }

    /// <summary>Creates a cluster with initdb (no fsync: it is thrown away) and starts it; ready once it answers a query.</summary>
    public static async Task<PostgresInstance> CreateAsync(CancellationToken cancellationToken = default)
    {
        var bin = BinDirectory ?? throw new InvalidOperationException("No PostgreSQL under /usr/lib/postgresql/*/bin.");
        var directory = Path.Combine(Path.GetTempPath(), $"apex-pg-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(directory);
        var instance = new PostgresInstance(bin, directory, FreePort());
        try
        {
            if (Environment.IsPrivilegedProcess)
            {
                await RunAsync("chown", [OsUser + ":" + OsUser, directory], cancellationToken);
            }
            await instance.RunPostgresAsync("initdb", ["-D", instance.DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"], cancellationToken);
            await instance.StartAsync(cancellationToken);
            return instance;
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the server (again) on the same data directory and port; returns once it answers a query.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await RunPostgresAsync("pg_ctl", ["-D", DataDirectory, "-l", LogPath, "-w", "-t", "60", "-o",
            $"-p {Port.ToString(CultureInfo.InvariantCulture)} -k {Directory} -c listen_addresses=127.0.0.1 -c max_connections=200",
            "start"], cancellationToken);
        _running = true;
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        await using var command = dataSource.CreateCommand("SELECT 1");
        await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>
    /// <c>pg_ctl stop -m immediate</c>: the server drops every connection and exits without a checkpoint, as in a crash
    /// (its next start recovers from the WAL). Returns once the server is gone.
    /// </summary>
    public async Task StopImmediateAsync(CancellationToken cancellationToken = default)
    {
        await RunPostgresAsync("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "-t", "60", "stop"], cancellationToken);
        _running = false;
    }

    /// <summary>The server's log so far.</summary>
    public string ReadLog()
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (FileNotFoundException)
        {
            return "";
        }
    }

    /// <summary>Stops the server if it runs (immediately: nothing of it is kept) and deletes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_running)
        {
            try
            {
                await StopImmediateAsync();
            }
            catch (InvalidOperationException)
            {
                // Already gone; the directory goes anyway.
            }
        }
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Left to the OS's temp cleanup.
        }
    }

    private Task RunPostgresAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_bin, program);
        return Environment.IsPrivilegedProcess
            ? RunAsync("runuser", ["-u", OsUser, "--", path, .. arguments], cancellationToken)
            : RunAsync(path, arguments, cancellationToken);
    }

    /// <summary>Runs a program to its end; a non-zero exit fails with its output.</summary>
    private static async Task RunAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(CommandDeadline);
        await process.WaitForExitAsync(deadline.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{await output}\n{await error}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
