using System.Diagnostics;
using System.Text;

namespace Apex.Testing;

/// <summary>
/// A child process started directly (never through a shell, so <see cref="Id"/> is the process that
/// <see cref="KillHard"/> and <see cref="Terminate"/> signal), with its stdout and stderr written line by line, time
/// stamped, to <see cref="LogPath"/> so that a failing test can show what it said.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Lock _logLock = new();
    private readonly StreamWriter _log;

    private ChildProcess(string name, Process process, string logPath)
    {
        Name = name;
        _process = process;
        LogPath = logPath;
        _log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite), Encoding.UTF8) { AutoFlush = true };
    }

    /// <summary>A name for messages.</summary>
    public string Name { get; }

    /// <summary>The process id.</summary>
    public int Id { get; private set; }

    /// <summary>Where the output goes.</summary>
    public string LogPath { get; }

    /// <summary>Whether the process ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code once <see cref="HasExited"/>; on Unix a signal <c>n</c> shows as <c>128 + n</c>.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <paramref name="start"/> (its output redirected here; <c>UseShellExecute</c> is forced off).</summary>
    public static ChildProcess Start(string name, ProcessStartInfo start, string logPath)
    {
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var process = new Process { StartInfo = start };
        var child = new ChildProcess(name, process, logPath);
        process.OutputDataReceived += (_, e) => child.WriteLog("out", e.Data);
        process.ErrorDataReceived += (_, e) => child.WriteLog("err", e.Data);
        child.WriteLog("test", $"start: {start.FileName} {string.Join(' ', start.ArgumentList)}");
        try
        {
            process.Start();
        }
        catch
        {
            child.CloseLog();
            process.Dispose();
            throw;
        }
        child.Id = process.Id;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>SIGKILL, then waits until the process is gone: none of its shutdown code runs.</summary>
    public void KillHard()
    {
        if (_process.HasExited)
        {
            return;
        }
        WriteLog("test", "kill -9");
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit();
    }

    /// <summary>Sends SIGTERM (through <c>kill -TERM</c>: <see cref="Process.Kill()"/> would send SIGKILL) and returns at once.</summary>
    public void Terminate() => Signal("TERM");

    /// <summary>SIGSTOP: the process freezes (its sockets stay open) until <see cref="Resume"/>.</summary>
    public void Pause() => Signal("STOP");

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume() => Signal("CONT");

    private void Signal(string signal)
    {
        if (_process.HasExited)
        {
            return;
        }
        WriteLog("test", $"kill -{signal}");
        var start = new ProcessStartInfo("kill") { UseShellExecute = false, RedirectStandardError = true };
        start.ArgumentList.Add("-" + signal);
        start.ArgumentList.Add(Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var kill = Process.Start(start) ?? throw new InvalidOperationException("kill did not start.");
        var error = kill.StandardError.ReadToEnd();
        kill.WaitForExit();
        if (kill.ExitCode != 0 && !_process.HasExited)
        {
            throw new InvalidOperationException($"kill -{signal} {Id} failed ({kill.ExitCode}): {error}");
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the process to end; true if it did.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Polls the log until a line satisfies <paramref name="match"/>; throws if the process exits first or the deadline passes.</summary>
    public async Task WaitForLogAsync(Func<string, bool> match, string what, TimeSpan deadline, CancellationToken cancellationToken = default)
    {
        var found = await ApexHttp.PollAsync<string>(() =>
        {
            if (ReadLog().Split('\n').Any(match))
            {
                return Task.FromResult<string?>("found");
            }
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before {what}. Log ({LogPath}):\n{ReadLog()}");
            }
            return Task.FromResult<string?>(null);
        }, deadline, cancellationToken);
        if (found is null)
        {
            throw new TimeoutException($"{Name}: no {what} within {deadline}. Log ({LogPath}):\n{ReadLog()}");
        }
    }

    /// <summary>The output so far.</summary>
    public string ReadLog()
    {
        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Kills the process if it still runs (SIGKILL) and closes the log; the log file stays.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: false);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Never started, or already reaped.
        }
        _process.Dispose();
        CloseLog();
    }

    private void CloseLog()
    {
        lock (_logLock)
        {
            _log.Dispose();
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
}
