using System.Security.Claims;
using System.Text.Json;
using Apex.Contracts;
using Apex.Contracts.Common;
using Apex.Contracts.Tasks;
using Apex.Core;
using Apex.Core.Errors;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tasks;
using Apex.Engine;
using Apex.Server.Caching;
using Apex.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Apex.Server.Security;

namespace Apex.Server.Tasks;

/// <summary>The <c>/api/v1/tasks</c> endpoints.</summary>
internal static class TasksApi
{
    public static RouteGroupBuilder MapTasksApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/tasks").WithTags("Tasks");
        group.MapPost("/", CreateAsync).WithName("CreateTask").WithSummary("Submit a task.").RequireAuthorization(ApexPolicies.Operate);
        group.MapPost("/batch", CreateBatchAsync).WithName("CreateTaskBatch").WithSummary("Submit up to 1,000 tasks, all or nothing.").RequireAuthorization(ApexPolicies.Operate);
        group.MapGet("/", ListAsync).WithName("ListTasks").WithSummary("List tasks, newest first.").RequireAuthorization(ApexPolicies.Read);
        group.MapGet("/{id:guid}", GetAsync).WithName("GetTask").RequireAuthorization(ApexPolicies.Read);
        group.MapPost("/{id:guid}/cancel", CancelAsync).WithName("CancelTask").RequireAuthorization(ApexPolicies.Operate);
        group.MapPost("/{id:guid}/retry", RetryAsync).WithName("RetryTask").RequireAuthorization(ApexPolicies.Operate);
        group.MapGet("/{id:guid}/events", EventsAsync).WithName("GetTaskEvents").WithSummary("The task's event history.").RequireAuthorization(ApexPolicies.Read);
        group.MapGet("/{id:guid}/stream", Stream).WithName("StreamTask").WithSummary("Server-sent events of the task until it ends.").RequireAuthorization(ApexPolicies.Read).AcceptUrlCredential();
        return group;
    }

    private static async Task<Results<Created<TaskResponse>, Ok<TaskResponse>>> CreateAsync(
        CreateTaskRequest request, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, ClaimsPrincipal user, ApexEngine engine, CancellationToken cancellationToken)
    {
        OutputSchemas.ThrowIfInvalid([(request.OutputSchema, "output_schema")]);
        var hash = Hash(idempotencyKey, request, ApexJsonContext.Default.CreateTaskRequest);
        var submission = await engine.SubmitTaskAsync(user.TenantId(), request, idempotencyKey, hash, cancellationToken);
        var response = submission.Task.ToResponse();
        return submission.Created ? TypedResults.Created($"/api/v1/tasks/{response.Id}", response) : TypedResults.Ok(response);
    }

    private static async Task<Results<Created<CreateTaskBatchResponse>, Ok<CreateTaskBatchResponse>>> CreateBatchAsync(
        CreateTaskBatchRequest request, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, ClaimsPrincipal user, ApexEngine engine, CancellationToken cancellationToken)
    {
        OutputSchemas.ThrowIfInvalid((request.Tasks ?? []).Select((t, i) => (t?.OutputSchema, $"tasks[{i}].output_schema")));
        var hash = Hash(idempotencyKey, request, ApexJsonContext.Default.CreateTaskBatchRequest);
        var outcome = await engine.SubmitBatchAsync(user.TenantId(), request.Tasks!, idempotencyKey, hash, cancellationToken);
        var response = new CreateTaskBatchResponse(outcome.Ids);
        return outcome.Created ? TypedResults.Created("/api/v1/tasks", response) : TypedResults.Ok(response);
    }

    private static async Task<Ok<Page<TaskResponse>>> ListAsync(
        ClaimsPrincipal user, IApexStore store, IOptions<ApiOptions> options, CancellationToken cancellationToken,
        string? status = null, [FromQuery(Name = "dag_id")] Guid? dagId = null, string? agent = null, int? limit = null, string? cursor = null)
    {
        var page = await store.ListTasksAsync(new TaskQuery
        {
            TenantId = user.TenantId(),
            Status = Query.ParseEnum<TaskState>(status, "status"),
            DagId = dagId,
            Agent = agent,
            Limit = Query.PageSize(limit, options.Value),
            Cursor = cursor,
        }, cancellationToken);
        return TypedResults.Ok(new Page<TaskResponse>([.. page.Items.Select(t => t.ToResponse())], page.NextCursor));
    }

    private static async Task<Ok<TaskResponse>> GetAsync(Guid id, ClaimsPrincipal user, TaskCache cache, CancellationToken cancellationToken)
    {
        var task = await cache.GetAsync(user.TenantId(), id, cancellationToken) ?? throw new ApexNotFoundException("task", id.ToString());
        return TypedResults.Ok(task);
    }

    private static async Task<Accepted<TaskResponse>> CancelAsync(Guid id, ClaimsPrincipal user, ApexEngine engine, IApexStore store, TaskCache cache, CancellationToken cancellationToken)
    {
        await engine.CancelTaskAsync(user.TenantId(), id, cancellationToken);
        // Before answering: a read that began before the cancel must not answer a caller who saw this response.
        cache.Coherence.Changed(id);
        var task = await store.GetTaskAsync(user.TenantId(), id, cancellationToken) ?? throw new ApexNotFoundException("task", id.ToString());
        return TypedResults.Accepted($"/api/v1/tasks/{id}", task.ToResponse());
    }

    private static async Task<Accepted<TaskResponse>> RetryAsync(Guid id, ClaimsPrincipal user, ApexEngine engine, IApexStore store, TaskCache cache, CancellationToken cancellationToken)
    {
        await engine.RetryTaskAsync(user.TenantId(), id, cancellationToken);
        var task = await store.GetTaskAsync(user.TenantId(), id, cancellationToken) ?? throw new ApexNotFoundException("task", id.ToString());
        // Before answering (the committed events reach the event bus, and so the other servers, just after the
        // writer acknowledges): the finished copy cached here must be gone when the caller reads again.
        await cache.Coherence.Invalidate(user.TenantId(), id, task.Version);
        return TypedResults.Accepted($"/api/v1/tasks/{id}", task.ToResponse());
    }

    private static async Task<Ok<Page<TaskEventResponse>>> EventsAsync(Guid id, ClaimsPrincipal user, IApexStore store, IOptions<ApiOptions> options, CancellationToken cancellationToken,
        int? limit = null, string? cursor = null)
    {
        _ = await store.GetTaskAsync(user.TenantId(), id, cancellationToken) ?? throw new ApexNotFoundException("task", id.ToString());
        var size = Query.PageSize(limit, options.Value);
        var after = Query.SeqCursor(cursor);
        var events = await store.GetEventsAsync(user.TenantId(), EventTypes.Task, id, after, size + 1, cancellationToken);
        var items = events.Take(size).Select(e => e.ToResponse()).ToList();
        return TypedResults.Ok(new Page<TaskEventResponse>(items, events.Count > size ? items[^1].Seq.ToString(System.Globalization.CultureInfo.InvariantCulture) : null));
    }

    private static async Task<IResult> Stream(Guid id, HttpRequest request, ClaimsPrincipal user, IApexStore store, IEventBus bus, CancellationToken cancellationToken)
    {
        var tenant = user.TenantId();
        var task = await store.GetTaskAsync(tenant, id, cancellationToken) ?? throw new ApexNotFoundException("task", id.ToString());
        return TypedResults.ServerSentEvents(EventStreams.StreamAsync(bus,
            e => e.AggregateId == id && e.TenantId == tenant,
            (after, ct) => store.GetEventsAsync(tenant, EventTypes.Task, id, after, EventStreams.PageSize, ct),
            e => EventTypes.IsTerminal(e.EventType),
            task.Status.IsTerminal(),
            EventStreams.LastEventId(request),
            cancellationToken));
    }

    private static string? Hash<T>(string? idempotencyKey, T request, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        string.IsNullOrEmpty(idempotencyKey) ? null : ApexEngine.HashRequest(JsonSerializer.SerializeToUtf8Bytes(request, type));
}
