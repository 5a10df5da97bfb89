using System.Diagnostics;

namespace Apex.Bench.Load;

/// <summary>
/// The tasks one phase submitted, and what the watcher saw happen to them: when each started and finished (the store's
/// timestamps), how many finished and how, and when the last one's terminal event reached the harness. Events of other
/// tasks are ignored; an event that arrives before its task's id was registered (a zero-latency task can finish before
/// its submission's response is read) is kept until the id is.
/// </summary>
internal sealed class TaskTracker
{
    private readonly Lock _lock = new();
    private readonly HashSet<Guid> _mine = [];
    private readonly Dictionary<Guid, SeenEvent> _ended = [];
    private readonly Dictionary<Guid, DateTimeOffset> _started = [];
    private readonly Dictionary<Guid, DateTimeOffset> _submitted = [];
    private readonly Dictionary<Guid, DateTimeOffset> _seen = [];
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _expected = int.MaxValue;

    public int Finished { get; private set; }

    public int Succeeded { get; private set; }

    public int Started { get; private set; }

    public int Requeued { get; private set; }

    /// <summary>Stopwatch timestamp of the first <c>task_requeued</c> event seen, 0 before.</summary>
    public long FirstRequeued { get; private set; }

    /// <summary>Stopwatch timestamp at which the last terminal event of a registered task arrived.</summary>
    public long LastFinished { get; private set; }

    public void Expect(int count)
    {
        lock (_lock)
        {
            _expected = count;
            if (Finished >= count)
            {
                _all.TrySetResult();
            }
        }
    }

    public Task AllFinished => _all.Task;

    /// <param name="ids">The tasks a submission created.</param>
    /// <param name="submittedAt">When the harness sent that submission (wall clock), for <see cref="Window"/>'s phases.</param>
    public void Register(IEnumerable<Guid> ids, DateTimeOffset? submittedAt = null)
    {
        lock (_lock)
        {
            foreach (var id in ids)
            {
                if (submittedAt is { } at)
                {
                    _submitted[id] = at;
                }
                if (_mine.Add(id))
                {
                    if (_started.ContainsKey(id))
                    {
                        Started++;
                    }
                    if (_ended.TryGetValue(id, out var e))
                    {
                        Count(e);
                    }
                }
            }
        }
    }

    public void OnEvent(SeenEvent e)
    {
        lock (_lock)
        {
            switch (e.Type)
            {
                case "task_started":
                    if (_started.TryAdd(e.TaskId, e.CreatedAt) && _mine.Contains(e.TaskId))
                    {
                        Started++;
                    }
                    else
                    {
                        _started[e.TaskId] = e.CreatedAt; // a re-run: its last start counts
                    }
                    break;
                case "task_requeued":
                    Requeued++;
                    FirstRequeued = FirstRequeued == 0 ? e.Received : FirstRequeued;
                    break;
                case "task_succeeded" or "task_failed" or "task_cancelled" or "task_skipped":
                    if (_ended.TryAdd(e.TaskId, e))
                    {
                        _seen[e.TaskId] = DateTimeOffset.UtcNow;
                        if (_mine.Contains(e.TaskId))
                        {
                            Count(e);
                        }
                    }
                    break;
            }
        }
    }

    private void Count(SeenEvent e)
    {
        Finished++;
        Succeeded += e.Type == "task_succeeded" ? 1 : 0;
        LastFinished = Math.Max(LastFinished, e.Received);
        if (Finished >= _expected)
        {
            _all.TrySetResult();
        }
    }

    /// <summary>When the task started (its last <c>task_started</c>) and ended, by the store's clock, if both were seen.</summary>
    public (DateTimeOffset Started, DateTimeOffset Ended)? Times(Guid id)
    {
        lock (_lock)
        {
            return _started.TryGetValue(id, out var s) && _ended.TryGetValue(id, out var e) ? (s, e.CreatedAt) : null;
        }
    }

    /// <summary>The most registered tasks running at one moment (start → end intervals by the store's clock).</summary>
    public int MaxRunningAtOnce()
    {
        lock (_lock)
        {
            var points = new List<(DateTimeOffset At, int Delta)>();
            foreach (var id in _mine)
            {
                if (_started.TryGetValue(id, out var s) && _ended.TryGetValue(id, out var e))
                {
                    points.Add((s, 1));
                    points.Add((e.CreatedAt, -1));
                }
            }
            var running = 0;
            var max = 0;
            foreach (var (_, delta) in points.OrderBy(p => p.At).ThenBy(p => p.Delta))
            {
                running += delta;
                max = Math.Max(max, running);
            }
            return max;
        }
    }

    /// <summary>
    /// Over the window [<paramref name="from"/>, <paramref name="to"/>) of the store's clock: how many registered tasks
    /// succeeded in it, and how many were on average in each phase of their life (intervals clipped to the window):
    /// from the harness sending their submission to their start (submitting and queued), running (start → end), and
    /// from their end to the harness seeing it (reporting). The harness and the store read the same machine's clock.
    /// </summary>
    public WindowPhases Window(DateTimeOffset from, DateTimeOffset to)
    {
        lock (_lock)
        {
            var succeeded = 0;
            double queued = 0, running = 0, reporting = 0;
            foreach (var id in _mine)
            {
                if (_started.TryGetValue(id, out var s) && _ended.TryGetValue(id, out var e))
                {
                    succeeded += e.Type == "task_succeeded" && e.CreatedAt >= from && e.CreatedAt < to ? 1 : 0;
                    running += Overlap(s, e.CreatedAt);
                    queued += _submitted.TryGetValue(id, out var sent) ? Overlap(sent, s) : 0;
                    reporting += _seen.TryGetValue(id, out var seen) ? Overlap(e.CreatedAt, seen) : 0;
                }
            }
            var window = (double)(to - from).Ticks;
            return new WindowPhases(succeeded, queued / window, running / window, reporting / window);
        }

        double Overlap(DateTimeOffset begin, DateTimeOffset end) => Math.Max(0, ((end < to ? end : to) - (begin > from ? begin : from)).Ticks);
    }

    /// <summary>The earliest start (store clock) among the registered tasks, if any started.</summary>
    public DateTimeOffset? FirstStarted()
    {
        lock (_lock)
        {
            DateTimeOffset? first = null;
            foreach (var id in _mine)
            {
                if (_started.TryGetValue(id, out var s) && (first is null || s < first))
                {
                    first = s;
                }
            }
            return first;
        }
    }

    /// <summary>Run time (started → ended, store clock) of every registered task seen doing both.</summary>
    public Latency RunTimes()
    {
        var latency = new Latency();
        lock (_lock)
        {
            foreach (var id in _mine)
            {
                if (_started.TryGetValue(id, out var s) && _ended.TryGetValue(id, out var e))
                {
                    latency.Record(e.CreatedAt - s);
                }
            }
        }
        return latency;
    }

    public static double Seconds(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalSeconds;
}

/// <summary>What <see cref="TaskTracker.Window"/> measured: tasks succeeded, and the mean number of tasks in each phase.</summary>
internal readonly record struct WindowPhases(int Succeeded, double Queued, double Running, double Reporting);
