using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Apex.Contracts;
using Apex.Contracts.Dags;
using Apex.Contracts.Health;
using Apex.Contracts.Tasks;

namespace Apex.Testing;

/// <summary>Calls of the v1 API with the wire records and their source-generated JSON, and deadline-bounded waits.</summary>
public static class ApexHttp
{
    /// <summary>How often the waits poll.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>The terminal DAG states.</summary>
    public static IReadOnlySet<DagState> FinishedDag { get; } = new HashSet<DagState> { DagState.Succeeded, DagState.Failed, DagState.Cancelled };

    /// <summary>The terminal task states.</summary>
    public static IReadOnlySet<TaskState> FinishedTask { get; } =
        new HashSet<TaskState> { TaskState.Succeeded, TaskState.Failed, TaskState.Cancelled, TaskState.Skipped };

    /// <summary>The snake_case options the server uses, backed by <see cref="ApexJsonContext"/>.</summary>
    public static JsonSerializerOptions Json => ApexJsonContext.Default.Options;

    /// <summary>Reads a successful response as <typeparamref name="T"/>; a non-success status fails with the body in the message.</summary>
    public static async Task<T> ReadAsync<T>(this HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken cancellationToken = default)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new HttpRequestException($"{(int)response.StatusCode} {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {body}");
        }
        return await response.Content.ReadFromJsonAsync(type, cancellationToken)
            ?? throw new InvalidOperationException($"Empty {typeof(T).Name} body.");
    }

    /// <summary>POSTs a DAG and returns the created DAG (any non-2xx fails).</summary>
    public static async Task<DagResponse> CreateDagAsync(this HttpClient client, CreateDagRequest request, CancellationToken cancellationToken = default)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/dags", request, ApexJsonContext.Default.CreateDagRequest, cancellationToken);
        return await response.ReadAsync(ApexJsonContext.Default.DagResponse, cancellationToken);
    }

    /// <summary>POSTs a task and returns it (any non-2xx fails).</summary>
    public static async Task<TaskResponse> CreateTaskAsync(this HttpClient client, CreateTaskRequest request, CancellationToken cancellationToken = default)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/tasks", request, ApexJsonContext.Default.CreateTaskRequest, cancellationToken);
        return await response.ReadAsync(ApexJsonContext.Default.TaskResponse, cancellationToken);
    }

    /// <summary>GETs a DAG with its tasks.</summary>
    public static async Task<DagResponse> GetDagAsync(this HttpClient client, Guid id, CancellationToken cancellationToken = default)
    {
        using var response = await client.GetAsync($"/api/v1/dags/{id}", cancellationToken);
        return await response.ReadAsync(ApexJsonContext.Default.DagResponse, cancellationToken);
    }

    /// <summary>GETs a task.</summary>
    public static async Task<TaskResponse> GetTaskAsync(this HttpClient client, Guid id, CancellationToken cancellationToken = default)
    {
        using var response = await client.GetAsync($"/api/v1/tasks/{id}", cancellationToken);
        return await response.ReadAsync(ApexJsonContext.Default.TaskResponse, cancellationToken);
    }

    /// <summary>Every event of a task, following <c>next_cursor</c> to the end.</summary>
    public static async Task<IReadOnlyList<TaskEventResponse>> GetTaskEventsAsync(this HttpClient client, Guid id, CancellationToken cancellationToken = default)
    {
        var events = new List<TaskEventResponse>();
        string? cursor = null;
        do
        {
            var url = $"/api/v1/tasks/{id}/events?limit=500" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}");
            using var response = await client.GetAsync(url, cancellationToken);
            var page = await response.ReadAsync(ApexJsonContext.Default.PageTaskEventResponse, cancellationToken);
            events.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return events;
    }

    /// <summary>Polls <c>GET /api/v1/dags/{id}</c> until its status is one of <paramref name="states"/>.</summary>
    /// <exception cref="TimeoutException">The deadline passed; the message holds the last state seen.</exception>
    public static async Task<DagResponse> WaitForDagAsync(this HttpClient client, Guid id, IReadOnlySet<DagState> states, TimeSpan deadline,
        CancellationToken cancellationToken = default)
    {
        DagResponse? last = null;
        var outcome = await PollAsync(async () =>
        {
            last = await client.GetDagAsync(id, cancellationToken);
            return states.Contains(last.Status) ? last : null;
        }, deadline, cancellationToken);
        return outcome ?? throw new TimeoutException(
            $"DAG {id} did not reach {string.Join("/", states)} within {deadline}; last seen: {Describe(last)}");
    }

    /// <summary>Polls until the DAG finished (succeeded, failed or cancelled).</summary>
    public static Task<DagResponse> WaitForDagAsync(this HttpClient client, Guid id, TimeSpan deadline, CancellationToken cancellationToken = default) =>
        client.WaitForDagAsync(id, FinishedDag, deadline, cancellationToken);

    /// <summary>Polls <c>GET /api/v1/tasks/{id}</c> until its status is one of <paramref name="states"/>.</summary>
    /// <exception cref="TimeoutException">The deadline passed; the message holds the last state seen.</exception>
    public static async Task<TaskResponse> WaitForTaskAsync(this HttpClient client, Guid id, IReadOnlySet<TaskState> states, TimeSpan deadline,
        CancellationToken cancellationToken = default)
    {
        TaskResponse? last = null;
        var outcome = await PollAsync(async () =>
        {
            last = await client.GetTaskAsync(id, cancellationToken);
            return states.Contains(last.Status) ? last : null;
        }, deadline, cancellationToken);
        return outcome ?? throw new TimeoutException(
            $"Task {id} did not reach {string.Join("/", states)} within {deadline}; last seen: {(last is null ? "nothing" : $"{last.Status} attempt {last.Attempt}")}");
    }

    /// <summary>Polls until the task finished (succeeded, failed, cancelled or skipped).</summary>
    public static Task<TaskResponse> WaitForTaskAsync(this HttpClient client, Guid id, TimeSpan deadline, CancellationToken cancellationToken = default) =>
        client.WaitForTaskAsync(id, FinishedTask, deadline, cancellationToken);

    /// <summary>GETs <c>/health</c>.</summary>
    public static async Task<HealthResponse> GetHealthAsync(this HttpClient client, CancellationToken cancellationToken = default)
    {
        using var response = await client.GetAsync("/health", cancellationToken);
        return await response.ReadAsync(ApexJsonContext.Default.HealthResponse, cancellationToken);
    }

    /// <summary>Polls <c>/health</c> until no execution runs and nothing waits in the queue, ready or delayed.</summary>
    /// <exception cref="TimeoutException">The deadline passed; the message holds the last figures seen.</exception>
    public static async Task<HealthResponse> WaitForIdleAsync(this HttpClient client, TimeSpan deadline, CancellationToken cancellationToken = default)
    {
        HealthResponse? last = null;
        var outcome = await PollAsync(async () =>
        {
            last = await client.GetHealthAsync(cancellationToken);
            var c = last.Components;
            return c.Workers.Active == 0 && c.Queue.Depth == 0 && c.Queue.Delayed == 0 ? last : null;
        }, deadline, cancellationToken);
        return outcome ?? throw new TimeoutException(
            $"The engine was not idle within {deadline}: workers.active={last?.Components.Workers.Active}, queue.depth={last?.Components.Queue.Depth}, queue.delayed={last?.Components.Queue.Delayed}");
    }

    /// <summary>
    /// Calls <paramref name="probe"/> every <see cref="PollInterval"/> until it returns a value or <paramref name="deadline"/>
    /// passes (then null).
    /// </summary>
    public static async Task<T?> PollAsync<T>(Func<Task<T?>> probe, TimeSpan deadline, CancellationToken cancellationToken = default)
        where T : class
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(deadline);
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }
            try
            {
                await Task.Delay(PollInterval, timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return await probe();
            }
        }
    }

    private static string Describe(DagResponse? dag) =>
        dag is null ? "nothing"
        : $"{dag.Status}; tasks: {string.Join(", ", (dag.Tasks ?? []).GroupBy(t => t.Status).Select(g => $"{g.Key}={g.Count()}"))}";
}
