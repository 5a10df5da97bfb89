using Apex.Core.Events;

namespace Apex.Server.Live;

/// <summary>
/// The store's whole event log in <c>seq</c> order, for the WebSocket replays that no aggregate or DAG read covers
/// (a whole channel, an agent). Read-only, beside the store.
/// </summary>
/// <remarks>
/// <see cref="Core.Storage.IApexStore"/> reads one aggregate's or one DAG's events; a global read belongs there too, as
/// <c>GetEventsAfterAsync</c>, and these classes go once it exists (the store is another owner's code).
/// </remarks>
internal interface IEventLog
{
    /// <summary>Up to <paramref name="limit"/> events of <paramref name="tenantId"/> with <c>seq &gt; afterSeq</c>, in seq order.</summary>
    Task<IReadOnlyList<StoredEvent>> ReadAfterAsync(string tenantId, long afterSeq, int limit, CancellationToken cancellationToken);

    /// <summary>The newest committed seq (0 when the log is empty).</summary>
    Task<long> HeadAsync(CancellationToken cancellationToken);
}
