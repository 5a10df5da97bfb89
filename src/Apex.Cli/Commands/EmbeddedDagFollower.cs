using System.Threading.Channels;
using Apex.Cli.Rendering;
using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Core;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tasks;
using Apex.Engine;

namespace Apex.Cli.Commands;

/// <summary>
/// Feeds the events of an in-process DAG to a <see cref="ProgressBoard"/> until the DAG ends. Each task's row is the
/// fold of its events (<see cref="TaskProjection"/>), so the table shows exactly what the store holds. When cancellation
/// is requested (Ctrl+C) it cancels the DAG and waits for the engine to confirm.
/// </summary>
internal sealed class EmbeddedDagFollower(ApexEngine engine, IApexStore store, EventSubscription subscription, DagSubmission submission, TimeProvider time)
{
    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan CancelGrace = TimeSpan.FromSeconds(10);

    private readonly Dictionary<Guid, TaskRecord> _records = [];
    private readonly Guid _dagId = submission.Dag.Id;

    public async Task<(DagProgress Progress, TimeSpan Elapsed)> FollowAsync(ProgressBoard board, CancellationToken cancellationToken)
    {
        board.Start(_dagId, submission.Dag.Name, submission.Dag.Status,
            submission.Tasks.Select(t => new TaskProgress { Key = t.Key, Id = t.Id, Status = t.Status }));
        long? cancelledAt = null;
        var reader = subscription.Reader;
        try
        {
            while (!IsTerminal(board.DagStatus))
            {
                while (reader.TryRead(out var e))
                {
                    await ApplyAsync(board, e);
                }
                board.Flush();
                if (IsTerminal(board.DagStatus))
                {
                    break;
                }
                if (cancellationToken.IsCancellationRequested && cancelledAt is null)
                {
                    cancelledAt = time.GetTimestamp();
                    await engine.CancelDagAsync(Tenancy.DefaultTenant, _dagId, CancellationToken.None);
                }
                if (cancelledAt is { } since && time.GetElapsedTime(since) > CancelGrace)
                {
                    break;
                }
                await WaitAsync(reader, cancelledAt is null ? cancellationToken : CancellationToken.None);
            }
        }
        catch (Exception e) when (e is EventSubscriptionOverflowException or ChannelClosedException)
        {
            // Fell behind the event bus (or it closed): the store has the truth; poll it.
            await PollAsync(board, cancellationToken);
        }
        board.Flush(force: true);
        return (board.Snapshot(), board.Elapsed);
    }

    private async Task WaitAsync(ChannelReader<StoredEvent> reader, CancellationToken cancellationToken)
    {
        using var tick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        tick.CancelAfter(TickInterval);
        try
        {
            if (!await reader.WaitToReadAsync(tick.Token))
            {
                throw new ChannelClosedException();
            }
        }
        catch (OperationCanceledException)
        {
            // A tick (redraw running durations) or Ctrl+C, which the loop turns into a DAG cancellation.
        }
    }

    private async Task ApplyAsync(ProgressBoard board, StoredEvent e)
    {
        if (e.AggregateType == EventTypes.Dag && e.AggregateId == _dagId)
        {
            if (DagStatusAfter(e.EventType) is { } status)
            {
                board.SetDagStatus(status);
            }
            return;
        }
        if (e.AggregateType != EventTypes.Task || board.Find(e.AggregateId) is null)
        {
            return;
        }
        _records.TryGetValue(e.AggregateId, out var state);
        if (state is not null && e.Version <= state.Version)
        {
            return;
        }
        if ((state is null && e.EventType != EventTypes.TaskCreated) || (state is not null && e.Version > state.Version + 1))
        {
            // A gap: the store, which committed before publishing, is at least this new.
            state = await store.GetTaskAsync(Tenancy.DefaultTenant, e.AggregateId);
        }
        else
        {
            state = TaskProjection.Apply(state, e);
        }
        if (state is not null)
        {
            _records[e.AggregateId] = state;
            board.SetTask(Progress(state));
        }
    }

    private async Task PollAsync(ProgressBoard board, CancellationToken cancellationToken)
    {
        var cancelled = false;
        while (true)
        {
            if (cancellationToken.IsCancellationRequested && !cancelled)
            {
                cancelled = true;
                await engine.CancelDagAsync(Tenancy.DefaultTenant, _dagId, CancellationToken.None);
            }
            string? cursor = null;
            do
            {
                var page = await store.ListTasksAsync(new TaskQuery { TenantId = Tenancy.DefaultTenant, DagId = _dagId, Limit = 1_000, Cursor = cursor }, CancellationToken.None);
                foreach (var record in page.Items)
                {
                    board.SetTask(Progress(record));
                }
                cursor = page.NextCursor;
            }
            while (cursor is not null);
            if (await store.GetDagAsync(Tenancy.DefaultTenant, _dagId, CancellationToken.None) is { } dag)
            {
                board.SetDagStatus(dag.Status);
            }
            board.Flush();
            if (IsTerminal(board.DagStatus))
            {
                return;
            }
            await Task.Delay(TickInterval, time, CancellationToken.None);
        }
    }

    private static TaskProgress Progress(TaskRecord record) => new()
    {
        Key = record.Key ?? record.Name,
        Id = record.Id,
        Status = record.Status,
        Attempt = record.Attempt,
        MaxAttempts = record.MaxAttempts,
        StartedAt = record.StartedAt,
        FinishedAt = record.FinishedAt,
        Tokens = record.InputTokens + record.OutputTokens,
        CostUsd = record.CostUsd,
        Error = record.ErrorCode is { } code ? new TaskError(code, record.ErrorMessage ?? "") : null,
    };

    private static DagState? DagStatusAfter(string eventType) => eventType switch
    {
        EventTypes.DagStarted or EventTypes.DagReopened => DagState.Running,
        EventTypes.DagSucceeded => DagState.Succeeded,
        EventTypes.DagFailed => DagState.Failed,
        EventTypes.DagCancelled => DagState.Cancelled,
        _ => null,
    };

    private static bool IsTerminal(DagState status) => status is DagState.Succeeded or DagState.Failed or DagState.Cancelled;
}
