using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Apex.Cli.Rendering;

/// <summary>
/// The progress of one DAG as it runs: a live table on a terminal, or one plain line per change when the output is
/// redirected (CI logs, tests). Not thread-safe: one loop feeds it.
/// </summary>
internal sealed class ProgressBoard
{
    private static readonly TimeSpan RenderInterval = TimeSpan.FromMilliseconds(100);

    private readonly CliConsole _console;
    private readonly TimeProvider _time;
    private readonly Action<IRenderable>? _render;
    private readonly long _started;
    private readonly Dictionary<Guid, int> _index = [];
    private TaskProgress[] _tasks = [];
    private long? _lastRender;
    private bool _dirty;
    private int _keyWidth;

    private ProgressBoard(CliConsole console, TimeProvider time, Action<IRenderable>? render)
    {
        _console = console;
        _time = time;
        _render = render;
        _started = time.GetTimestamp();
    }

    public Guid DagId { get; private set; }

    public string DagName { get; private set; } = "";

    public DagState DagStatus { get; private set; }

    public TimeSpan Elapsed => _time.GetElapsedTime(_started);

    /// <summary>Runs <paramref name="work"/> with a board, inside a live display when the console is a terminal.</summary>
    public static async Task<T> RunAsync<T>(CliConsole console, TimeProvider time, Func<ProgressBoard, Task<T>> work)
    {
        if (!console.Live)
        {
            return await work(new ProgressBoard(console, time, render: null));
        }
        var result = default(T)!;
        await console.Out.Live(new Text("Starting…"))
            .AutoClear(false)
            .Overflow(VerticalOverflow.Ellipsis)
            .StartAsync(async context =>
            {
                var board = new ProgressBoard(console, time, renderable =>
                {
                    context.UpdateTarget(renderable);
                    context.Refresh();
                });
                result = await work(board);
                board.Flush(force: true);
            });
        return result;
    }

    /// <summary>Sets the DAG and its tasks, in the order to show them.</summary>
    public void Start(Guid dagId, string name, DagState status, IEnumerable<TaskProgress> tasks)
    {
        DagId = dagId;
        DagName = name;
        _tasks = [.. tasks];
        _index.Clear();
        for (var i = 0; i < _tasks.Length; i++)
        {
            _index[_tasks[i].Id] = i;
        }
        _keyWidth = Math.Clamp(_tasks.Length == 0 ? 4 : _tasks.Max(t => t.Key.Length), 4, 32);
        DagStatus = status;
        _dirty = true;
        if (_render is null)
        {
            Line($"DAG {name} ({dagId}): {_tasks.Length} tasks, {ProgressStyle.Name(status)}");
            foreach (var task in _tasks.Where(t => t.Status != TaskState.Pending))
            {
                Line(Describe(task));
            }
        }
    }

    /// <summary>The task with this id, if it belongs to the DAG.</summary>
    public TaskProgress? Find(Guid taskId) => _index.TryGetValue(taskId, out var i) ? _tasks[i] : null;

    public void SetDagStatus(DagState status)
    {
        if (status == DagStatus)
        {
            return;
        }
        DagStatus = status;
        _dirty = true;
        if (_render is null)
        {
            Line($"DAG {DagName} {ProgressStyle.Name(status)}");
        }
    }

    /// <summary>Records the new state of a task; a task that is not part of the DAG is ignored.</summary>
    public void SetTask(TaskProgress next)
    {
        if (!_index.TryGetValue(next.Id, out var i))
        {
            return;
        }
        var previous = _tasks[i];
        _tasks[i] = next with { Key = previous.Key };
        _dirty = true;
        if (_render is null && (previous.Status != next.Status || previous.Attempt != next.Attempt))
        {
            Line(Describe(_tasks[i]));
        }
    }

    /// <summary>Redraws the live table when something changed (at most every 100 ms unless forced); also ticks running durations.</summary>
    public void Flush(bool force = false)
    {
        if (_render is null)
        {
            return;
        }
        var now = _time.GetTimestamp();
        if (!force && _lastRender is { } last && _time.GetElapsedTime(last, now) < RenderInterval)
        {
            return;
        }
        if (!force && !_dirty && !_tasks.Any(t => t.Status == TaskState.Running))
        {
            return;
        }
        _lastRender = now;
        _dirty = false;
        _render(Render(Snapshot(), Elapsed, _time.GetUtcNow(), Math.Max(5, _console.Out.Profile.Height - 8)));
    }

    public DagProgress Snapshot() => new(DagId, DagName, DagStatus, [.. _tasks]);

    /// <summary>The table of a finished DAG, written once (plain output, and <c>apex status</c>).</summary>
    public static void Write(CliConsole console, DagProgress progress, TimeSpan elapsed, DateTimeOffset now) =>
        console.Out.Write(Render(progress, elapsed, now, int.MaxValue));

    private static Rows Render(DagProgress progress, TimeSpan elapsed, DateTimeOffset now, int maxRows)
    {
        var header = new Markup(
            $"[bold]{Markup.Escape(progress.Name)}[/]  " +
            $"[{ProgressStyle.Color(progress.Status)}]{ProgressStyle.Name(progress.Status)}[/]  {ProgressStyle.Duration(elapsed)}  " +
            $"{Markup.Escape(progress.Counts())} · {ProgressStyle.Number(progress.Tokens)} tokens · {ProgressStyle.Cost(progress.CostUsd)}");
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("Task")
            .AddColumn("Status")
            .AddColumn(new TableColumn("Attempt").RightAligned())
            .AddColumn(new TableColumn("Duration").RightAligned())
            .AddColumn(new TableColumn("Tokens").RightAligned())
            .AddColumn("Error");
        var shown = Select(progress.Tasks, maxRows);
        foreach (var task in shown)
        {
            table.AddRow(
                new Text(task.Key),
                new Markup($"[{ProgressStyle.Color(task.Status)}]{ProgressStyle.Name(task.Status)}[/]"),
                new Text(task.Attempt == 0 ? "" : $"{task.Attempt}/{task.MaxAttempts}"),
                new Text(ProgressStyle.Duration(task.Duration(now))),
                new Text(task.Tokens == 0 ? "" : ProgressStyle.Number(task.Tokens)),
                new Text(task.Error is { } error ? Truncate($"{error.Code}: {error.Message}", 60) : ""));
        }
        if (shown.Count < progress.Tasks.Count)
        {
            var hidden = progress.Tasks.Except(shown).GroupBy(t => t.Status).OrderBy(g => g.Key)
                .Select(g => $"{g.Count()} {ProgressStyle.Name(g.Key)}");
            table.AddRow(new Markup($"[grey]… {progress.Tasks.Count - shown.Count} more ({Markup.Escape(string.Join(", ", hidden))})[/]"));
        }
        return new Rows(header, table);
    }

    /// <summary>All tasks when they fit; otherwise the ones worth watching (not pending, not succeeded) first.</summary>
    private static IReadOnlyList<TaskProgress> Select(IReadOnlyList<TaskProgress> tasks, int maxRows)
    {
        if (tasks.Count <= maxRows)
        {
            return tasks;
        }
        var interesting = tasks.Where(t => t.Status is not (TaskState.Pending or TaskState.Succeeded)).Take(maxRows - 1).ToList();
        if (interesting.Count < maxRows - 1)
        {
            interesting.AddRange(tasks.Where(t => t.Status is TaskState.Pending or TaskState.Succeeded).Take(maxRows - 1 - interesting.Count));
        }
        return interesting;
    }

    private string Describe(TaskProgress task)
    {
        var line = $"{task.Key.PadRight(_keyWidth)}  {ProgressStyle.Name(task.Status),-10}";
        return task.Status switch
        {
            TaskState.Running => $"{line} attempt {task.Attempt}/{task.MaxAttempts}",
            TaskState.Succeeded => $"{line} {ProgressStyle.Duration(task.Duration(_time.GetUtcNow()))}  {ProgressStyle.Number(task.Tokens)} tokens",
            _ when task.Error is { } error => $"{line} {error.Code}: {Truncate(error.Message, 120)}",
            _ => line,
        };
    }

    private void Line(string text) =>
        _console.Out.Profile.Out.Writer.WriteLine($"[{ProgressStyle.Duration(Elapsed),7}] {text}".TrimEnd());

    private static string Truncate(string text, int length)
    {
        var single = text.ReplaceLineEndings(" ");
        return single.Length <= length ? single : single[..(length - 1)] + "…";
    }
}
