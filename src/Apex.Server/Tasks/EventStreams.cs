using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Core.Storage;

namespace Apex.Server.Tasks;

/// <summary>
/// Server-sent events: history from the store after <c>Last-Event-ID</c>, then live events from the bus, with no gap
/// (the subscription starts before the history is read) and no duplicate (events are deduplicated by seq).
/// </summary>
internal static class EventStreams
{
    private const int HistoryPage = 1000;

    public static async IAsyncEnumerable<SseItem<TaskEventResponse>> StreamAsync(
        IEventBus bus,
        Func<StoredEvent, bool> filter,
        Func<long, CancellationToken, Task<IReadOnlyList<StoredEvent>>> history,
        Func<StoredEvent, bool> isLast,
        bool finishedAtStart,
        long lastEventId,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var live = bus.Subscribe(filter, capacity: 4096);
        await live.Listening.WaitAsync(cancellationToken);
        var last = lastEventId;
        while (true)
        {
            var page = await history(last, cancellationToken);
            foreach (var e in page)
            {
                last = e.Seq;
                yield return Item(e);
                if (isLast(e))
                {
                    yield break;
                }
            }
            if (page.Count < HistoryPage)
            {
                break;
            }
        }
        if (finishedAtStart)
        {
            // The final status and its event commit together, so a stream that was already finished when the
            // request came has nothing more to send (a client resuming after the last event lands here).
            yield break;
        }
        await foreach (var e in live.Reader.ReadAllAsync(cancellationToken))
        {
            if (e.IsLive)
            {
                // Output deltas and the like: not stored, so no id to resume from; they pass straight through.
                yield return Item(e);
                continue;
            }
            if (e.Seq <= last)
            {
                continue;
            }
            last = e.Seq;
            yield return Item(e);
            if (isLast(e))
            {
                yield break;
            }
        }
    }

    public static int PageSize => HistoryPage;

    public static long LastEventId(HttpRequest request) =>
        long.TryParse(request.Headers["Last-Event-ID"], out var id) && id > 0 ? id : 0;

    private static SseItem<TaskEventResponse> Item(StoredEvent e) =>
        new(e.ToResponse(), e.EventType) { EventId = e.IsLive ? null : e.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture) };
}
