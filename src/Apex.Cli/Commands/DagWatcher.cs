using System.Text.Json;
using System.Threading.Channels;
using Apex.Cli.Rendering;
using Apex.Client;
using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Spectre.Console;

namespace Apex.Cli.Commands;

/// <summary>
/// Follows a DAG on a server until it finishes. The SSE stream only says when to look: every event (or, when the
/// stream is down, every 500 ms) re-reads the DAG, so a lost event never leaves the table wrong.
/// </summary>
internal static class DagWatcher
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan SafetyInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MinRefreshInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(250);
    private const int PageSize = 500;

    /// <summary>Shows the DAG's progress until it is terminal; 0 iff it succeeded.</summary>
    public static async Task<int> WatchAsync(ApexClient client, Guid dagId, CliConsole console, TimeProvider time, CancellationToken cancellationToken)
    {
        (DagProgress Progress, TimeSpan Elapsed) final;
        try
        {
            final = await ProgressBoard.RunAsync(console, time, board => FollowAsync(client, dagId, board, time, cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            console.Out.MarkupLine($"[grey]Stopped watching; DAG {dagId} goes on (cancel it with POST /api/v1/dags/{dagId}/cancel).[/]");
            return ExitCodes.Failed;
        }
        if (!console.Live)
        {
            ProgressBoard.Write(console, final.Progress, final.Elapsed, time.GetUtcNow());
        }
        Summary.Write(console, final.Progress, final.Elapsed);
        return final.Progress.Status == DagState.Succeeded ? ExitCodes.Success : ExitCodes.Failed;
    }

    private static async Task<(DagProgress Progress, TimeSpan Elapsed)> FollowAsync(
        ApexClient client, Guid dagId, ProgressBoard board, TimeProvider time, CancellationToken cancellationToken)
    {
        var signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        using var streamCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var stream = ListenAsync(client, dagId, signal.Writer, streamCancellation.Token);
        try
        {
            await RefreshAsync(client, dagId, board, first: true, cancellationToken);
            while (!board.Snapshot().IsTerminal)
            {
                var refreshed = time.GetTimestamp();
                await WaitAsync(signal.Reader, stream.IsCompleted ? PollInterval : SafetyInterval, board, time, cancellationToken);
                var since = time.GetElapsedTime(refreshed);
                if (since < MinRefreshInterval)
                {
                    await Task.Delay(MinRefreshInterval - since, time, cancellationToken);
                }
                await RefreshAsync(client, dagId, board, first: false, cancellationToken);
                board.Flush();
            }
            return (board.Snapshot(), board.Elapsed);
        }
        finally
        {
            await streamCancellation.CancelAsync();
            await stream;
        }
    }

    /// <summary>Signals on every event; ends quietly when the stream fails or closes, and the caller falls back to polling.</summary>
    private static async Task ListenAsync(ApexClient client, Guid dagId, ChannelWriter<bool> signal, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var _ in client.WatchDagAsync(dagId, cancellationToken))
            {
                signal.TryWrite(true);
            }
        }
        catch (Exception e) when (e is HttpRequestException or ApexApiException or IOException or JsonException or OperationCanceledException)
        {
            // The stream is only a hint; polling takes over.
        }
        signal.TryWrite(true);
    }

    private static async Task WaitAsync(ChannelReader<bool> signal, TimeSpan timeout, ProgressBoard board, TimeProvider time, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        while (time.GetElapsedTime(started) < timeout)
        {
            using var tick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            tick.CancelAfter(TickInterval);
            try
            {
                if (await signal.WaitToReadAsync(tick.Token))
                {
                    signal.TryRead(out _);
                    return;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                board.Flush();
            }
        }
    }

    private static async Task RefreshAsync(ApexClient client, Guid dagId, ProgressBoard board, bool first, CancellationToken cancellationToken)
    {
        var dag = await client.GetDagAsync(dagId, cancellationToken);
        var summaries = dag.Tasks ?? [];
        var unchanged = !first && summaries.Count > 0 && summaries.All(s => board.Find(s.Id) is { } known
            && known.Status == s.Status && s.Status != TaskState.Running);
        if (!unchanged)
        {
            var tasks = new Dictionary<Guid, TaskResponse>();
            string? cursor = null;
            do
            {
                var page = await client.ListTasksAsync(dagId: dagId, limit: PageSize, cursor: cursor, cancellationToken: cancellationToken);
                foreach (var task in page.Items)
                {
                    tasks[task.Id] = task;
                }
                cursor = page.NextCursor;
            }
            while (cursor is not null);

            if (first)
            {
                var ordered = summaries.Count > 0
                    ? summaries.Select(s => tasks.TryGetValue(s.Id, out var t) ? TaskProgress.From(t) with { Key = s.Key } : new TaskProgress { Key = s.Key, Id = s.Id, Status = s.Status })
                    : tasks.Values.OrderBy(t => t.CreatedAt).Select(TaskProgress.From);
                board.Start(dag.Id, dag.Name, dag.Status, ordered);
            }
            else
            {
                // In the order things happened, so the plain log reads as a timeline.
                foreach (var task in tasks.Values.OrderBy(t => t.FinishedAt ?? t.StartedAt ?? t.CreatedAt))
                {
                    board.SetTask(TaskProgress.From(task));
                }
            }
        }
        board.SetDagStatus(dag.Status);
    }
}
