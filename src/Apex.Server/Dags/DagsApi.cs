using System.Security.Claims;
using System.Text.Json;
using Apex.Contracts;
using Apex.Contracts.Common;
using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Core;
using Apex.Core.Dags;
using Apex.Core.Errors;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Engine;
using Apex.Server.Caching;
using Apex.Server.Hosting;
using Apex.Server.Tasks;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Apex.Server.Security;

namespace Apex.Server.Dags;

/// <summary>The <c>/api/v1/dags</c> endpoints.</summary>
internal static class DagsApi
{
    public static RouteGroupBuilder MapDagsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/dags").WithTags("DAGs");
        group.MapPost("/", CreateAsync).WithName("CreateDag").WithSummary("Validate and submit a DAG of tasks.").RequireAuthorization(ApexPolicies.Operate);
        group.MapGet("/", ListAsync).WithName("ListDags").RequireAuthorization(ApexPolicies.Read);
        group.MapGet("/{id:guid}", GetAsync).WithName("GetDag").WithSummary("A DAG with its tasks.").RequireAuthorization(ApexPolicies.Read);
        group.MapPost("/{id:guid}/cancel", CancelAsync).WithName("CancelDag").RequireAuthorization(ApexPolicies.Operate);
        group.MapGet("/{id:guid}/events", EventsAsync).WithName("GetDagEvents").WithSummary("Events of the DAG and its tasks.").RequireAuthorization(ApexPolicies.Read);
        group.MapGet("/{id:guid}/stream", Stream).WithName("StreamDag").WithSummary("Server-sent events of the DAG and its tasks until it ends.").RequireAuthorization(ApexPolicies.Read).AcceptUrlCredential();
        return group;
    }

    private static async Task<Results<Created<DagResponse>, Ok<DagResponse>>> CreateAsync(
        CreateDagRequest request, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, ClaimsPrincipal user, ApexEngine engine, CancellationToken cancellationToken)
    {
        OutputSchemas.ThrowIfInvalid((request.Tasks ?? []).Select((t, i) => (t?.OutputSchema, $"tasks[{i}].output_schema")));
        var hash = string.IsNullOrEmpty(idempotencyKey) ? null
            : ApexEngine.HashRequest(JsonSerializer.SerializeToUtf8Bytes(request, ApexJsonContext.Default.CreateDagRequest));
        var submission = await engine.SubmitDagAsync(user.TenantId(), request, idempotencyKey, hash, cancellationToken);
        var response = ToResponse(submission.Dag, submission.Tasks, usage: null);
        return submission.Created ? TypedResults.Created($"/api/v1/dags/{response.Id}", response) : TypedResults.Ok(response);
    }

    private static async Task<Ok<Page<DagResponse>>> ListAsync(ClaimsPrincipal user, IApexStore store, IOptions<ApiOptions> options, CancellationToken cancellationToken,
        string? status = null, int? limit = null, string? cursor = null)
    {
        var page = await store.ListDagsAsync(new DagQuery
        {
            TenantId = user.TenantId(),
            Status = Query.ParseEnum<DagState>(status, "status"),
            Limit = Query.PageSize(limit, options.Value),
            Cursor = cursor,
        }, cancellationToken);
        return TypedResults.Ok(new Page<DagResponse>([.. page.Items.Select(d => ToResponse(d, null, null))], page.NextCursor));
    }

    private static async Task<Ok<DagResponse>> GetAsync(Guid id, ClaimsPrincipal user, IApexStore store, CancellationToken cancellationToken)
    {
        var dag = await store.GetDagAsync(user.TenantId(), id, cancellationToken) ?? throw new ApexNotFoundException("dag", id.ToString());
        var tasks = await store.GetDagTasksAsync(user.TenantId(), id, cancellationToken);
        var usage = await store.GetDagUsageAsync(user.TenantId(), id, cancellationToken);
        return TypedResults.Ok(ToResponse(dag, tasks, usage));
    }

    private static async Task<Accepted<DagResponse>> CancelAsync(Guid id, ClaimsPrincipal user, ApexEngine engine, IApexStore store, TaskCache cache, CancellationToken cancellationToken)
    {
        await engine.CancelDagAsync(user.TenantId(), id, cancellationToken);
        // Its tasks changed; a task read that began before this must not answer a caller who saw this response.
        cache.Coherence.ChangedAll();
        var dag = await store.GetDagAsync(user.TenantId(), id, cancellationToken) ?? throw new ApexNotFoundException("dag", id.ToString());
        var tasks = await store.GetDagTasksAsync(user.TenantId(), id, cancellationToken);
        return TypedResults.Accepted($"/api/v1/dags/{id}", ToResponse(dag, tasks, null));
    }

    private static async Task<Ok<Page<TaskEventResponse>>> EventsAsync(Guid id, ClaimsPrincipal user, IApexStore store, IOptions<ApiOptions> options, CancellationToken cancellationToken,
        int? limit = null, string? cursor = null)
    {
        _ = await store.GetDagAsync(user.TenantId(), id, cancellationToken) ?? throw new ApexNotFoundException("dag", id.ToString());
        var size = Query.PageSize(limit, options.Value);
        var events = await store.GetDagStreamAsync(user.TenantId(), id, Query.SeqCursor(cursor), size + 1, cancellationToken);
        var items = events.Take(size).Select(e => e.ToResponse()).ToList();
        return TypedResults.Ok(new Page<TaskEventResponse>(items, events.Count > size ? items[^1].Seq.ToString(System.Globalization.CultureInfo.InvariantCulture) : null));
    }

    private static async Task<IResult> Stream(Guid id, HttpRequest request, ClaimsPrincipal user, IApexStore store, IEventBus bus, CancellationToken cancellationToken)
    {
        var tenant = user.TenantId();
        var dag = await store.GetDagAsync(tenant, id, cancellationToken) ?? throw new ApexNotFoundException("dag", id.ToString());
        return TypedResults.ServerSentEvents(EventStreams.StreamAsync(bus,
            e => e.DagId == id && e.TenantId == tenant,
            (after, ct) => store.GetDagStreamAsync(tenant, id, after, EventStreams.PageSize, ct),
            e => e.AggregateType == EventTypes.Dag && e.EventType is EventTypes.DagSucceeded or EventTypes.DagFailed or EventTypes.DagCancelled,
            dag.Status is DagState.Succeeded or DagState.Failed or DagState.Cancelled,
            EventStreams.LastEventId(request),
            cancellationToken));
    }

    private static DagResponse ToResponse(DagRecord dag, IReadOnlyList<DagTaskRow>? tasks, AgentUsage? usage) => new()
    {
        Id = dag.Id,
        Name = dag.Name,
        Status = dag.Status,
        FailurePolicy = dag.FailurePolicy,
        TaskCount = dag.TaskCount,
        Metadata = dag.Metadata,
        CreatedAt = dag.CreatedAt,
        FinishedAt = dag.FinishedAt,
        Usage = usage is null ? null : new TaskUsage { InputTokens = usage.InputTokens, OutputTokens = usage.OutputTokens, CostUsd = usage.CostUsd, ApiCalls = (int)usage.ApiCalls },
        Tasks = tasks?.Select(t => new DagTaskSummary { Key = t.Key, Id = t.Id, Status = t.Status, DependsOn = t.DependsOn }).ToList(),
    };
}
