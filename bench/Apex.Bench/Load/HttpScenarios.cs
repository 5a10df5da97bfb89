using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Apex.Bench.Load;

/// <summary>One arrival of a request scenario: what it sends.</summary>
internal delegate Task<Outcome> Send(int arrival, CancellationToken ct);

/// <summary>The request scenarios of the seed's baseline table, and the stress test's mix of them.</summary>
internal static class HttpScenarios
{
    /// <summary>Scenario names, in the order of the seed's table.</summary>
    public static readonly string[] Baseline = ["health", "create-task", "get-task", "list-tasks", "ws-connect"];

    public static string Title(string scenario) => scenario switch
    {
        "health" => "Health Check",
        "create-task" => "Create Task",
        "get-task" => "Get Task",
        "list-tasks" => "List Tasks",
        "ws-connect" => "WebSocket Connection",
        _ => scenario,
    };

    /// <summary>Prepares what <paramref name="scenario"/> needs (tasks to read) and returns its sender.</summary>
    public static async Task<Send> PrepareAsync(string scenario, LoadTarget target, CancellationToken ct)
    {
        var http = target.Http;
        switch (scenario)
        {
            case "health":
                return async (_, token) => await GetAsync(http, "health/live", token);
            case "create-task":
                return (i, token) => CreateTaskAsync(http, $"Load {i}.", token);
            case "get-task":
                var ids = await CreateTasksAsync(http, 200, ct);
                return async (i, token) => await GetAsync(http, $"api/v1/tasks/{ids[i % ids.Length]}", token);
            case "list-tasks":
                await CreateTasksAsync(http, 200, ct);
                return async (_, token) => await GetAsync(http, "api/v1/tasks?limit=20", token);
            case "ws-connect":
                var ws = new Uri($"ws://{target.BaseAddress.Authority}/api/v1/ws");
                return async (_, token) =>
                {
                    using var socket = await WebSocketFanOut.SubscribeAsync(ws, token);
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, token);
                    return Outcome.Ok;
                };
            case "mix":
                // The stress test's request mix: 1 create, 2 gets, 1 list in every 4 arrivals.
                var create = await PrepareAsync("create-task", target, ct);
                var get = await PrepareAsync("get-task", target, ct);
                var list = await PrepareAsync("list-tasks", target, ct);
                return (i, token) => (i % 4) switch
                {
                    0 => create(i, token),
                    3 => list(i, token),
                    _ => get(i, token),
                };
            default:
                throw new ArgumentException($"Unknown request scenario '{scenario}'.");
        }
    }

    private static async Task<Outcome> GetAsync(HttpClient http, string path, CancellationToken ct)
    {
        using var response = await http.GetAsync(path, ct);
        return Outcome.Of(response);
    }

    private static async Task<Outcome> CreateTaskAsync(HttpClient http, string instruction, CancellationToken ct)
    {
        using var response = await PostJsonAsync(http, "api/v1/tasks", TaskJson(instruction), ct);
        return Outcome.Of(response);
    }

    public static async Task<HttpResponseMessage> PostJsonAsync(HttpClient http, string path, string json, CancellationToken ct)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        return await http.PostAsync(path, content, ct);
    }

    /// <summary>Submits one task with <c>POST /api/v1/tasks</c> and returns its id.</summary>
    public static async Task<Guid> SubmitTaskAsync(HttpClient http, string instruction, CancellationToken ct)
    {
        using var response = await PostJsonAsync(http, "api/v1/tasks", TaskJson(instruction), ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST /api/v1/tasks answered {(int)response.StatusCode}: {body}");
        }
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("id").GetGuid();
    }

    private static string TaskJson(string instruction) => $$"""{"name":"load","instruction":{{JsonSerializer.Serialize(instruction)}}}""";

    /// <summary>Submits <paramref name="count"/> tasks in one batch request and returns their ids.</summary>
    public static async Task<Guid[]> CreateTasksAsync(HttpClient http, int count, CancellationToken ct, string instruction = "Load {0}.")
    {
        var tasks = string.Join(",", Enumerable.Range(0, count).Select(i => TaskJson(string.Format(null, instruction, i))));
        using var response = await PostJsonAsync(http, "api/v1/tasks/batch", $$"""{"tasks":[{{tasks}}]}""", ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST /api/v1/tasks/batch answered {(int)response.StatusCode}: {body}");
        }
        using var document = JsonDocument.Parse(body);
        return [.. document.RootElement.GetProperty("ids").EnumerateArray().Select(t => t.GetGuid())];
    }
}
