using Apex.Contracts;
using Apex.Contracts.Common;
using Apex.Contracts.Tasks;

namespace Apex.Client;

public sealed partial class ApexClient
{
    /// <summary>Submits a standalone task (<c>POST /api/v1/tasks</c>).</summary>
    /// <param name="request">The task.</param>
    /// <param name="idempotencyKey">
    /// Sent as <c>Idempotency-Key</c>: repeating a request with the same key and body returns the task created the first
    /// time instead of a new one, so a submission can be retried safely after a timeout.
    /// </param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<TaskResponse> SubmitTaskAsync(CreateTaskRequest request, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "api/v1/tasks", request, ApexJsonContext.Default.CreateTaskRequest,
            ApexJsonContext.Default.TaskResponse, idempotencyKey, cancellationToken);

    /// <summary>Submits up to 1,000 tasks at once, validated all-or-nothing (<c>POST /api/v1/tasks/batch</c>).</summary>
    /// <param name="request">The tasks.</param>
    /// <param name="idempotencyKey">Sent as <c>Idempotency-Key</c>; see <see cref="SubmitTaskAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The ids of the tasks, in request order.</returns>
    public Task<CreateTaskBatchResponse> SubmitBatchAsync(CreateTaskBatchRequest request, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "api/v1/tasks/batch", request, ApexJsonContext.Default.CreateTaskBatchRequest,
            ApexJsonContext.Default.CreateTaskBatchResponse, idempotencyKey, cancellationToken);

    /// <summary>Gets one task (<c>GET /api/v1/tasks/{id}</c>).</summary>
    /// <param name="taskId">Task id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="ApexApiException">With 404 when there is no such task.</exception>
    public Task<TaskResponse> GetTaskAsync(Guid taskId, CancellationToken cancellationToken = default) =>
        GetAsync($"api/v1/tasks/{Id(taskId)}", ApexJsonContext.Default.TaskResponse, cancellationToken);

    /// <summary>Lists tasks, newest first (<c>GET /api/v1/tasks</c>).</summary>
    /// <param name="status">Only tasks in this status.</param>
    /// <param name="dagId">Only the tasks of this DAG.</param>
    /// <param name="agent">Only the tasks of this agent (by name).</param>
    /// <param name="limit">Page size; the server's default when null.</param>
    /// <param name="cursor">The <see cref="Page{T}.NextCursor"/> of the previous page.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<Page<TaskResponse>> ListTasksAsync(
        TaskState? status = null, Guid? dagId = null, string? agent = null, int? limit = null, string? cursor = null,
        CancellationToken cancellationToken = default) =>
        GetAsync(
            Query("api/v1/tasks",
                ("status", status is { } s ? SnakeCase(s) : null),
                ("dag_id", dagId is { } d ? Id(d) : null),
                ("agent", agent),
                ("limit", Invariant(limit)),
                ("cursor", cursor)),
            ApexJsonContext.Default.PageTaskResponse, cancellationToken);

    /// <summary>Cancels a task that has not finished (<c>POST /api/v1/tasks/{id}/cancel</c>).</summary>
    /// <param name="taskId">Task id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The task after the cancellation.</returns>
    /// <exception cref="ApexApiException">With 409 when the task already finished.</exception>
    public async Task<TaskResponse> CancelTaskAsync(Guid taskId, CancellationToken cancellationToken = default) =>
        await PostActionAsync($"api/v1/tasks/{Id(taskId)}/cancel", ApexJsonContext.Default.TaskResponse, cancellationToken)
        ?? await GetTaskAsync(taskId, cancellationToken);

    /// <summary>Queues a failed or cancelled task again (<c>POST /api/v1/tasks/{id}/retry</c>).</summary>
    /// <param name="taskId">Task id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The task after the retry was accepted.</returns>
    /// <exception cref="ApexApiException">With 409 when the task cannot be retried in its current status.</exception>
    public async Task<TaskResponse> RetryTaskAsync(Guid taskId, CancellationToken cancellationToken = default) =>
        await PostActionAsync($"api/v1/tasks/{Id(taskId)}/retry", ApexJsonContext.Default.TaskResponse, cancellationToken)
        ?? await GetTaskAsync(taskId, cancellationToken);

    /// <summary>Gets a task's event history in order (<c>GET /api/v1/tasks/{id}/events</c>).</summary>
    /// <param name="taskId">Task id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<Page<TaskEventResponse>> GetTaskEventsAsync(Guid taskId, CancellationToken cancellationToken = default) =>
        GetAsync($"api/v1/tasks/{Id(taskId)}/events", ApexJsonContext.Default.PageTaskEventResponse, cancellationToken);

    /// <summary>
    /// Follows the live events of one task (<c>GET /api/v1/tasks/{id}/stream</c>, server-sent events) until the server
    /// ends the stream or <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    /// <param name="taskId">Task id.</param>
    /// <param name="cancellationToken">Stops following.</param>
    /// <exception cref="ApexApiException">The server refused the stream (404 when there is no such task).</exception>
    public IAsyncEnumerable<TaskEventResponse> WatchTaskAsync(Guid taskId, CancellationToken cancellationToken = default) =>
        StreamAsync($"api/v1/tasks/{Id(taskId)}/stream", cancellationToken);
}
