using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Apex.Contracts;
using Apex.Contracts.Common;
using Apex.Contracts.Tasks;
using Apex.Core;
using Apex.Core.Events;
using Apex.Core.Tasks;
using Apex.Testing;
using Xunit;

namespace Apex.E2E.Distributed;

/// <summary>A finished task as the API shows it: its row and its whole event history, read consistently.</summary>
internal sealed record AuditedTask(TaskResponse Task, IReadOnlyList<TaskEventResponse> Events)
{
    /// <summary>The events of <paramref name="type"/>, in order.</summary>
    public IEnumerable<TaskEventResponse> OfType(string type) => Events.Where(e => e.EventType == type);

    /// <summary>The terminal events.</summary>
    public IReadOnlyList<TaskEventResponse> Terminal => [.. Events.Where(e => EventTypes.IsTerminal(e.EventType))];
}

/// <summary>Reads tasks and their histories through the API and checks what every test checks at the end.</summary>
internal static partial class TaskAudit
{
    private const int PageSize = 500;

    /// <summary>Every task the server has (one page request per 500).</summary>
    public static async Task<IReadOnlyList<TaskResponse>> ListAllAsync(HttpClient client, CancellationToken cancellationToken)
    {
        var tasks = new List<TaskResponse>();
        string? cursor = null;
        do
        {
            var url = $"/api/v1/tasks?limit={PageSize}" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}");
            using var response = await client.GetAsync(url, cancellationToken);
            var page = await response.ReadAsync(ApexJsonContext.Default.PageTaskResponse, cancellationToken);
            tasks.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return tasks;
    }

    /// <summary>
    /// Polls the task list until every one of <paramref name="ids"/> is terminal; returns how long that took. Throws
    /// with the status counts when the deadline passes.
    /// </summary>
    public static async Task<TimeSpan> WaitAllFinishedAsync(HttpClient client, IReadOnlyCollection<Guid> ids, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        var wanted = ids.ToHashSet();
        while (true)
        {
            var tasks = (await ListAllAsync(client, cancellationToken)).Where(t => wanted.Contains(t.Id)).ToList();
            if (tasks.Count == wanted.Count && tasks.All(t => ApexHttp.FinishedTask.Contains(t.Status)))
            {
                return TimeProvider.System.GetElapsedTime(started);
            }
            if (TimeProvider.System.GetElapsedTime(started) > deadline)
            {
                var counts = string.Join(", ", tasks.GroupBy(t => t.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}={g.Count()}"));
                throw new TimeoutException($"{wanted.Count - tasks.Count(t => ApexHttp.FinishedTask.Contains(t.Status))} of {wanted.Count} tasks " +
                    $"not finished within {deadline} ({counts}; {wanted.Count - tasks.Count} unknown to the server).");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }
    }

    /// <summary>
    /// Row and events of each task, eight requests at a time. The row is read between two reads of the history and
    /// the pair retried if the history grew meanwhile (a stale attempt's late result may still be recorded), so row and
    /// history describe the same version.
    /// </summary>
    public static async Task<IReadOnlyList<AuditedTask>> LoadAsync(HttpClient client, IReadOnlyList<Guid> ids, CancellationToken cancellationToken)
    {
        var audited = new AuditedTask[ids.Count];
        await Parallel.ForAsync(0, ids.Count, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            for (var attempt = 1; ; attempt++)
            {
                var before = await client.GetTaskEventsAsync(ids[i], ct);
                var row = await client.GetTaskAsync(ids[i], ct);
                var after = await client.GetTaskEventsAsync(ids[i], ct);
                if (after.Count == before.Count || attempt == 5)
                {
                    audited[i] = new AuditedTask(row, after);
                    return;
                }
            }
        });
        return audited;
    }

    /// <summary>Exactly one terminal event, versions 1..n without a gap, and the row's status is that event's.</summary>
    public static void AssertOneTerminalEvent(AuditedTask task)
    {
        var terminal = task.Terminal;
        Assert.True(terminal.Count == 1, $"Task {task.Task.Id} ({task.Task.Status}) has {terminal.Count} terminal events: {Describe(task)}.");
        Assert.True(task.Events.Select(e => e.Version).SequenceEqual(Enumerable.Range(1, task.Events.Count)),
            $"Task {task.Task.Id} has event versions {string.Join(",", task.Events.Select(e => e.Version))}.");
    }

    /// <summary>Invariant 3: folding the history (as the API serves it) reproduces the row the API serves.</summary>
    public static void AssertFoldReproducesRow(AuditedTask task)
    {
        var folded = TaskProjection.Fold(task.Events.Select(e => new StoredEvent
        {
            Seq = e.Seq,
            TenantId = Tenancy.DefaultTenant,
            AggregateType = EventTypes.Task,
            AggregateId = task.Task.Id,
            Version = e.Version,
            EventType = e.EventType,
            Data = e.Data.GetRawText(),
            CreatedAt = e.CreatedAt,
            DagId = e.DagId,
        }));
        Assert.NotNull(folded);
        var row = task.Task;
        (string Field, object? Row, object? Folded)[] fields =
        [
            ("status", row.Status, folded.Status),
            ("attempt", row.Attempt, folded.Attempt),
            ("max_attempts", row.MaxAttempts, folded.MaxAttempts),
            ("instruction", row.Instruction, folded.Instruction),
            ("output", row.Output, folded.Output),
            ("error.code", row.Error?.Code, folded.ErrorCode),
            ("error.message", row.Error?.Message, folded.ErrorMessage),
            ("usage.input_tokens", row.Usage.InputTokens, folded.InputTokens),
            ("usage.output_tokens", row.Usage.OutputTokens, folded.OutputTokens),
            ("usage.cost_usd", row.Usage.CostUsd, folded.CostUsd),
            ("usage.api_calls", row.Usage.ApiCalls, folded.ApiCalls),
            ("created_at", row.CreatedAt, folded.CreatedAt),
            ("started_at", row.StartedAt, folded.StartedAt),
            ("finished_at", row.FinishedAt, folded.FinishedAt),
            ("dag_id", row.DagId, folded.DagId),
            ("key", row.Key, folded.Key),
        ];
        var mismatches = fields.Where(f => !Equals(f.Row, f.Folded)).Select(f => $"{f.Field}: row={f.Row ?? "null"} folded={f.Folded ?? "null"}").ToList();
        Assert.True(mismatches.Count == 0, $"Task {row.Id} ({Describe(task)}) differs from its fold:\n{string.Join("\n", mismatches)}");
    }

    /// <summary>An event's payload as <typeparamref name="T"/>.</summary>
    public static T Data<T>(this TaskEventResponse e, JsonTypeInfo<T> type) =>
        e.Data.Deserialize(type) ?? throw new InvalidOperationException($"Event {e.EventType} v{e.Version} has no data.");

    /// <summary>POSTs a batch of up to 1,000 tasks; returns the ids in request order.</summary>
    public static async Task<IReadOnlyList<Guid>> SubmitBatchAsync(HttpClient client, IReadOnlyList<CreateTaskRequest> tasks, CancellationToken cancellationToken)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/tasks/batch", new CreateTaskBatchRequest { Tasks = [.. tasks] },
            ApexJsonContext.Default.CreateTaskBatchRequest, cancellationToken);
        return (await response.ReadAsync(ApexJsonContext.Default.CreateTaskBatchResponse, cancellationToken)).Ids;
    }

    /// <summary>A one-line history: <c>type(attempt)</c> per event.</summary>
    public static string Describe(AuditedTask task) =>
        string.Join(" ", task.Events.Select(e => e.Data.ValueKind == JsonValueKind.Object && e.Data.TryGetProperty("attempt", out var a)
            ? $"{e.EventType}({a})"
            : e.EventType));

    /// <summary>Summary statistics of durations, in seconds.</summary>
    public static string Stats(IEnumerable<TimeSpan> values)
    {
        var sorted = values.Select(v => v.TotalSeconds).Order().ToList();
        return sorted.Count == 0
            ? "none"
            : $"n={sorted.Count} min={sorted[0]:F2}s p50={sorted[sorted.Count / 2]:F2}s max={sorted[^1]:F2}s";
    }
}

/// <summary>Test output.</summary>
internal static class Report
{
    /// <summary>Writes a line to the current test's output.</summary>
    public static void Line(string message) => TestContext.Current.TestOutputHelper?.WriteLine(message);
}
