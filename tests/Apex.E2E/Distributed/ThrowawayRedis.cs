using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Apex.Testing;

namespace Apex.E2E.Distributed;

/// <summary>Redis servers of one test's own (for fault injection that must not touch the shared one), as child processes.</summary>
internal static class ThrowawayRedis
{
    /// <summary>Whether <c>redis-server</c> is on the PATH; <paramref name="why"/> says what is missing when not.</summary>
    public static bool CanRun(out string why)
    {
        why = "";
        try
        {
            using var probe = Process.Start(new ProcessStartInfo("redis-server", "--version") { RedirectStandardOutput = true, UseShellExecute = false });
            probe?.WaitForExit();
            return true;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            why = "redis-server is not on the PATH; the test needs a throwaway one.";
            return false;
        }
    }

    /// <summary>A throwaway redis-server (no persistence, in the foreground) as a child process; ready once it says so.</summary>
    public static async Task<ChildProcess> StartAsync(int port, string logDirectory, int start, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("redis-server") { WorkingDirectory = logDirectory };
        foreach (var argument in new[]
        {
            "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--dir", logDirectory,
        })
        {
            info.ArgumentList.Add(argument);
        }
        var redis = ChildProcess.Start($"redis-server #{start}", info, Path.Combine(logDirectory, $"redis-{start}.log"));
        try
        {
            await redis.WaitForLogAsync(l => l.Contains("Ready to accept connections", StringComparison.Ordinal), "readiness line", TimeSpan.FromSeconds(15), cancellationToken);
            return redis;
        }
        catch
        {
            await redis.DisposeAsync();
            throw;
        }
    }

    /// <summary>A loopback port nothing listens on now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
