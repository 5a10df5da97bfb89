using Apex.Contracts;
using Apex.Contracts.Common;
using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;

namespace Apex.Client;

public sealed partial class ApexClient
{
    /// <summary>Submits a DAG of tasks (<c>POST /api/v1/dags</c>).</summary>
    /// <param name="request">The DAG.</param>
    /// <param name="idempotencyKey">Sent as <c>Idempotency-Key</c>; see <see cref="SubmitTaskAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The DAG with the id and status of each task.</returns>
    /// <exception cref="ApexApiException">
    /// With 422 when the DAG is invalid: <see cref="ApexApiException.Code"/> is one of the <c>dag_*</c> codes and
    /// <see cref="ApexApiException.Nodes"/> names the offending tasks.
    /// </exception>
    public Task<DagResponse> SubmitDagAsync(CreateDagRequest request, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "api/v1/dags", request, ApexJsonContext.Default.CreateDagRequest,
            ApexJsonContext.Default.DagResponse, idempotencyKey, cancellationToken);

    /// <summary>Gets a DAG with its tasks (<c>GET /api/v1/dags/{id}</c>).</summary>
    /// <param name="dagId">DAG id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="ApexApiException">With 404 when there is no such DAG.</exception>
    public Task<DagResponse> GetDagAsync(Guid dagId, CancellationToken cancellationToken = default) =>
        GetAsync($"api/v1/dags/{Id(dagId)}", ApexJsonContext.Default.DagResponse, cancellationToken);

    /// <summary>Lists DAGs, newest first (<c>GET /api/v1/dags</c>).</summary>
    /// <param name="status">Only DAGs in this status.</param>
    /// <param name="limit">Page size; the server's default when null.</param>
    /// <param name="cursor">The <see cref="Page{T}.NextCursor"/> of the previous page.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<Page<DagResponse>> ListDagsAsync(DagState? status = null, int? limit = null, string? cursor = null, CancellationToken cancellationToken = default) =>
        GetAsync(
            Query("api/v1/dags", ("status", status is { } s ? SnakeCase(s) : null), ("limit", Invariant(limit)), ("cursor", cursor)),
            ApexJsonContext.Default.PageDagResponse, cancellationToken);

    /// <summary>Cancels every unfinished task of a DAG and the DAG itself (<c>POST /api/v1/dags/{id}/cancel</c>).</summary>
    /// <param name="dagId">DAG id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The DAG after the cancellation.</returns>
    public async Task<DagResponse> CancelDagAsync(Guid dagId, CancellationToken cancellationToken = default) =>
        await PostActionAsync($"api/v1/dags/{Id(dagId)}/cancel", ApexJsonContext.Default.DagResponse, cancellationToken)
        ?? await GetDagAsync(dagId, cancellationToken);

    /// <summary>
    /// Follows the live events of a DAG and of its tasks (<c>GET /api/v1/dags/{id}/stream</c>, server-sent events) until
    /// the server ends the stream or <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    /// <remarks>
    /// The stream is at-most-once: a consumer that must not miss a state change re-reads the DAG
    /// (<see cref="GetDagAsync"/>) when the stream breaks.
    /// </remarks>
    /// <param name="dagId">DAG id.</param>
    /// <param name="cancellationToken">Stops following.</param>
    /// <exception cref="ApexApiException">The server refused the stream (404 when there is no such DAG).</exception>
    public IAsyncEnumerable<TaskEventResponse> WatchDagAsync(Guid dagId, CancellationToken cancellationToken = default) =>
        StreamAsync($"api/v1/dags/{Id(dagId)}/stream", cancellationToken);
}
