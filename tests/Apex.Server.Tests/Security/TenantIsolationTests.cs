using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Apex.Contracts;
using Apex.Contracts.Agents;
using Apex.Contracts.Dags;
using Apex.Contracts.Keys;
using Apex.Contracts.Tasks;
using Apex.Core.Security;
using Apex.Server.Tests.Live;
using Apex.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Apex.Server.Tests.Security;

/// <summary>
/// Two tenants on one server, each with a key holding every role: neither sees the other's objects. Another tenant's id
/// answers exactly what a made-up id answers, on every object route (the routes are enumerated from the app, so a new
/// one is covered or fails the test), and the other tenant's events never reach a socket.
/// </summary>
[Collection("LiveFanOut")]
public sealed partial class TenantIsolationTests : IAsyncLifetime
{
    private const string Acme = "acme";
    private const string Globex = "globex";

    // Strings only Acme's objects hold: none may appear in anything Globex reads.
    private const string Secret = "ACME-CONFIDENTIAL-7f3a";

    private readonly string _bootstrap = ApiKeyFormat.Generate();
    private LiveServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _server = LiveServer.Start(new Dictionary<string, string?>
        {
            ["Apex:Auth:BootstrapAdminKey"] = _bootstrap,
            ["Apex:Approvals:Policies:0:Agent"] = "gated",
            ["Apex:Approvals:Policies:0:Always"] = "true",
        });
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task AnotherTenantsId_OnEveryObjectRoute_AnswersExactlyLikeAMadeUpId()
    {
        var (acme, objects, intruder, owner) = await TwoTenantsAsync();
        using var _ = intruder;
        using var __ = owner;

        var routes = ObjectRoutes();
        Assert.NotEmpty(routes);
        var checkedRoutes = 0;
        foreach (var (method, pattern) in routes)
        {
            var kind = KindOf(pattern);
            var id = kind switch
            {
                "tasks" => objects.TaskId,
                "dags" => objects.DagId,
                "agents" => objects.AgentId,
                "approvals" => objects.ApprovalId,
                "admin/keys" => acme.ApiKey.Id,
                _ => throw new Xunit.Sdk.XunitException($"{method} {pattern}: an object route this test does not know; add its kind here."),
            };
            var madeUp = Guid.CreateVersion7();
            var (foreignStatus, foreignBody) = await SendAsync(intruder, method, pattern, id);
            var (madeUpStatus, madeUpBody) = await SendAsync(intruder, method, pattern, madeUp);

            Assert.True(foreignStatus == HttpStatusCode.NotFound, $"{method} {pattern} with {Acme}'s id answered {Globex} {(int)foreignStatus}: {foreignBody}");
            Assert.Equal(madeUpStatus, foreignStatus);
            Assert.Equal(Normalize(madeUpBody, madeUp), Normalize(foreignBody, id));
            AssertNothingOfAcme(foreignBody, objects, acme.ApiKey, $"{method} {pattern}");
            checkedRoutes++;

            if (method == HttpMethods.Get && !pattern.EndsWith("/stream", StringComparison.Ordinal))
            {
                // The control: the same request by the owner finds the object, so the 404 above was the tenant's doing.
                var (ownerStatus, _) = await SendAsync(owner, method, pattern, id);
                Assert.True(ownerStatus == HttpStatusCode.OK, $"{method} {pattern}: the owner got {(int)ownerStatus}");
            }
        }
        Assert.True(checkedRoutes >= 15, $"only {checkedRoutes} object routes found");
    }

    [Fact]
    public async Task Lists_Usage_AndStats_HoldNothingOfAnotherTenant()
    {
        var (acme, objects, intruder, owner) = await TwoTenantsAsync();
        using var _ = intruder;
        using var __ = owner;

        string[] lists =
        [
            "/api/v1/tasks", $"/api/v1/tasks?dag_id={objects.DagId}", "/api/v1/tasks?agent=gated", "/api/v1/dags", "/api/v1/agents?include_stats=true",
            "/api/v1/approvals", $"/api/v1/approvals?task_id={objects.GatedTaskId}", "/api/v1/admin/keys", "/api/v1/usage?group_by=agent",
            "/api/v1/usage?group_by=dag", "/api/v1/stats", "/api/v1/stats/routing",
        ];
        foreach (var path in lists)
        {
            using var response = await intruder.GetAsync(path, Ct);
            var body = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
            AssertNothingOfAcme(body, objects, acme.ApiKey, path);
        }

        // The control: Acme's lists do hold them.
        var tasks = await owner.GetStringAsync($"/api/v1/tasks?dag_id={objects.DagId}", Ct);
        Assert.Contains(objects.DagTaskId.ToString(), tasks, StringComparison.Ordinal);
        Assert.Contains(objects.ApprovalId.ToString(), await owner.GetStringAsync("/api/v1/approvals", Ct), StringComparison.Ordinal);
        Assert.Contains("secret-agent", await owner.GetStringAsync("/api/v1/agents", Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SameIdempotencyKey_InTwoTenants_MakesTwoTasks()
    {
        var acme = await KeyAsync(Acme);
        var globex = await KeyAsync(Globex);
        var ids = new List<Guid>();
        foreach (var key in new[] { acme.Key, globex.Key })
        {
            using var client = Client(key);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/tasks")
            {
                Content = JsonContent.Create(new CreateTaskRequest { Instruction = $"{Secret} shared key" }, ApexJsonContext.Default.CreateTaskRequest),
            };
            request.Headers.Add("Idempotency-Key", "same-key-in-both");
            using var response = await client.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            ids.Add((await response.ReadAsync(ApexJsonContext.Default.TaskResponse, Ct)).Id);
        }
        Assert.NotEqual(ids[0], ids[1]);
    }

    [Fact]
    public async Task KeysForAnotherTenant_OnlyAPlatformAdminMakesThem()
    {
        var acme = await KeyAsync(Acme);
        using var acmeAdmin = Client(acme.Key);
        using var response = await acmeAdmin.PostAsJsonAsync("/api/v1/admin/keys",
            new CreateApiKeyRequest { Name = "escape", Roles = [ApexRoles.Admin], Tenant = Globex }, ApexJsonContext.Default.CreateApiKeyRequest, Ct);
        var problem = await Problem.ReadAsync(response, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, problem.Status);
        Assert.Equal("forbidden", problem.Code);

        // Its own tenant, named or not, is fine.
        using var own = await acmeAdmin.PostAsJsonAsync("/api/v1/admin/keys",
            new CreateApiKeyRequest { Name = "own", Roles = [ApexRoles.Viewer], Tenant = Acme }, ApexJsonContext.Default.CreateApiKeyRequest, Ct);
        Assert.Equal(HttpStatusCode.Created, own.StatusCode);
        Assert.Equal(Acme, (await own.ReadAsync(ApexJsonContext.Default.CreatedApiKeyResponse, Ct)).ApiKey.Tenant);

        using var bad = await Client(_bootstrap).PostAsJsonAsync("/api/v1/admin/keys",
            new CreateApiKeyRequest { Name = "bad", Roles = [ApexRoles.Viewer], Tenant = "Not A Tenant" }, ApexJsonContext.Default.CreateApiKeyRequest, Ct);
        var invalid = await Problem.ReadAsync(bad, Ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.Status);
        Assert.Contains("tenant", invalid.Errors.Keys);
    }

    [Fact]
    public async Task Approvals_DecidedBy_IsTheAuthenticatedCaller_NotTheBody()
    {
        var acme = await KeyAsync(Acme);
        var objects = await CreateAcmeObjectsAsync(acme.Key);
        using var client = Client(acme.Key);
        using var response = await client.DecideApprovalAsync(objects.ApprovalId, "approve", "fine", Ct);
        response.EnsureSuccessStatusCode();
        var approval = await client.GetApprovalAsync(objects.ApprovalId, Ct);
        Assert.Equal($"key-{Acme}", approval.DecidedBy);
    }

    [Fact]
    public async Task WebSocket_TenThousandEventsOfOneTenant_ReachNoSocketOfAnother()
    {
        var acme = await KeyAsync(Acme);
        var globex = await KeyAsync(Globex);
        await using var acmeSocket = await LiveClient.ConnectAsync(_server.Ws, Ct, bearer: acme.Key);
        await using var globexSocket = await LiveClient.ConnectAsync(_server.Ws, Ct, bearer: globex.Key);
        await acmeSocket.SubscribeAsync("all", "tasks", Ct);
        await acmeSocket.ReceiveUntilAsync("subscribed", Ct);

        using var acmeClient = Client(acme.Key);
        using var globexClient = Client(globex.Key);
        // Globex asks for everything it can name, including Acme's DAG and task by id, and a replay from the start.
        var acmeDag = await acmeClient.CreateDagAsync(new CreateDagRequest
        {
            Name = $"{Secret}-dag",
            Tasks = [new DagTaskSpec { Id = "a", Instruction = $"{Secret} a" }, new DagTaskSpec { Id = "b", Instruction = $"{Secret} b", DependsOn = ["a"] }],
        }, Ct);
        var acmeTask = acmeDag.Tasks![0].Id;
        await acmeClient.WaitForDagAsync(acmeDag.Id, TimeSpan.FromSeconds(30), Ct);
        await globexSocket.SubscribeAsync("tasks", "tasks", Ct);
        await globexSocket.SubscribeAsync("dags", "dags", Ct);
        await globexSocket.SubscribeAsync("agents", "agents", Ct);
        await globexSocket.SubscribeAsync("approvals", "approvals", Ct);
        await globexSocket.SubscribeAsync("their-dag", "dags", Ct, $$"""{"dag_id":"{{acmeDag.Id}}"}""");
        await globexSocket.SubscribeAsync("their-task", "tasks", Ct, $$"""{"task_id":"{{acmeTask}}"}""");
        await globexSocket.SubscribeAsync("replay", "tasks", Ct, since: 0);

        var acmeTasks = new HashSet<Guid>(acmeDag.Tasks.Select(t => t.Id));
        var acmeFrames = 0;
        var acmeSucceeded = 0;
        var seenByAcme = new HashSet<Guid>();
        var acmeReader = Task.Run(async () =>
        {
            while (await acmeSocket.ReceiveAsync(Ct) is { } message)
            {
                if (message.GetProperty("type").GetString() != "event")
                {
                    continue;
                }
                var taskId = message.GetProperty("task_id").GetGuid();
                lock (acmeTasks)
                {
                    seenByAcme.Add(taskId);
                    acmeFrames++;
                    if (message.GetProperty("event_type").GetString() == "task_succeeded")
                    {
                        acmeSucceeded++;
                    }
                }
            }
        }, Ct);
        var globexFrames = new List<string>();
        var globexReader = Task.Run(async () =>
        {
            while (await globexSocket.ReceiveAsync(Ct) is { } message)
            {
                lock (globexFrames)
                {
                    globexFrames.Add(message.GetRawText());
                }
            }
        }, Ct);

        // Acme fans out at least 10,000 events, in batches of 500 tasks, each waited for on its own socket.
        var submitted = acmeDag.Tasks.Count;
        while (Volatile.Read(ref acmeFrames) < 10_000)
        {
            var batch = Enumerable.Range(0, 500).Select(i => new CreateTaskRequest { Instruction = $"{Secret} {submitted + i}" }).ToList();
            using var response = await acmeClient.PostAsJsonAsync("/api/v1/tasks/batch", new CreateTaskBatchRequest { Tasks = batch },
                ApexJsonContext.Default.CreateTaskBatchRequest, Ct);
            var created = await response.ReadAsync(ApexJsonContext.Default.CreateTaskBatchResponse, Ct);
            lock (acmeTasks)
            {
                acmeTasks.UnionWith(created.Ids);
            }
            submitted += batch.Count;
            Assert.NotNull(await ApexHttp.PollAsync(() =>
            {
                lock (acmeTasks)
                {
                    return Task.FromResult<string?>(acmeSucceeded >= submitted ? "done" : null);
                }
            }, TimeSpan.FromSeconds(60), Ct));
        }
        lock (acmeTasks)
        {
            Assert.Subset(acmeTasks, seenByAcme);
        }
        Assert.True(acmeFrames >= 10_000, $"Acme's socket got {acmeFrames} events");

        // The control: Globex's own task reaches every one of its subscriptions that admits it.
        var own = await globexClient.CreateTaskAsync(new CreateTaskRequest { Instruction = "globex's own" }, Ct);
        await globexClient.WaitForTaskAsync(own.Id, TimeSpan.FromSeconds(30), Ct);
        Assert.NotNull(await ApexHttp.PollAsync(() =>
        {
            lock (globexFrames)
            {
                return Task.FromResult<string?>(globexFrames.Count(f => f.Contains(own.Id.ToString(), StringComparison.Ordinal)
                    && f.Contains("task_succeeded", StringComparison.Ordinal)) >= 3 ? "done" : null);
            }
        }, TimeSpan.FromSeconds(30), Ct));

        string[] frames;
        lock (globexFrames)
        {
            frames = [.. globexFrames];
        }
        var events = frames.Where(f => f.Contains("\"type\":\"event\"", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(events);
        Assert.All(events, f => Assert.Contains(own.Id.ToString(), f, StringComparison.Ordinal));
        var leaked = frames.Where(f => f.Contains(Secret, StringComparison.Ordinal) || acmeTasks.Any(id => f.Contains(id.ToString(), StringComparison.Ordinal))
            && !f.Contains("\"type\":\"subscribed\"", StringComparison.Ordinal)).ToList();
        Assert.True(leaked.Count == 0, $"{leaked.Count} of Globex's frames carry Acme's data, first: {leaked.FirstOrDefault()}");
        // The subscriptions naming Acme's DAG and task were accepted and stayed silent, exactly as for ids that do not exist.
        Assert.Equal(7, frames.Count(f => f.Contains("\"type\":\"subscribed\"", StringComparison.Ordinal)));
        Assert.Contains(frames, f => f.Contains("\"id\":\"replay\"", StringComparison.Ordinal) && f.Contains("\"replayed\":0", StringComparison.Ordinal));
        await globexSocket.Socket.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, null, Ct);
        await acmeSocket.Socket.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, null, Ct);
        await Task.WhenAll(globexReader, acmeReader);
    }

    [Fact]
    public async Task ServerSentEvents_OfAnotherTenantsTaskAndDag_Are404()
    {
        var acme = await KeyAsync(Acme);
        var globex = await KeyAsync(Globex);
        var objects = await CreateAcmeObjectsAsync(acme.Key);
        foreach (var path in new[] { $"/api/v1/tasks/{objects.TaskId}/stream", $"/api/v1/dags/{objects.DagId}/stream" })
        {
            // The way a browser's EventSource sends it.
            using var response = await _server.Client.GetAsync($"{path}?access_token={globex.Key}", HttpCompletionOption.ResponseHeadersRead, Ct);
            var body = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path}: {(int)response.StatusCode} {body}");
            AssertNothingOfAcme(body, objects, acme.ApiKey, path);
        }
    }

    /// <summary>Acme's key and objects, and clients of Globex (the intruder) and of Acme (the owner).</summary>
    private async Task<(CreatedApiKeyResponse Acme, AcmeObjects Objects, HttpClient Intruder, HttpClient Owner)> TwoTenantsAsync()
    {
        var acme = await KeyAsync(Acme);
        var globex = await KeyAsync(Globex);
        var objects = await CreateAcmeObjectsAsync(acme.Key);
        return (acme, objects, Client(globex.Key), Client(acme.Key));
    }

    private sealed record AcmeObjects(Guid TaskId, Guid DagId, Guid DagTaskId, Guid AgentId, Guid GatedTaskId, Guid ApprovalId);

    /// <summary>A task, a DAG, an agent and a pending approval of Acme, every one marked with <see cref="Secret"/>.</summary>
    private async Task<AcmeObjects> CreateAcmeObjectsAsync(string key)
    {
        using var client = Client(key);
        var task = await client.CreateTaskAsync(new CreateTaskRequest { Name = $"{Secret}-task", Instruction = $"{Secret} task" }, Ct);
        var dag = await client.CreateDagAsync(new CreateDagRequest
        {
            Name = $"{Secret}-dag",
            Tasks = [new DagTaskSpec { Id = "only", Instruction = $"{Secret} dag task" }],
        }, Ct);
        using var agentResponse = await client.PostAsJsonAsync("/api/v1/agents",
            new AgentRequest { Name = "secret-agent", SystemPrompt = $"{Secret} prompt" }, ApexJsonContext.Default.AgentRequest, Ct);
        var agent = await agentResponse.ReadAsync(ApexJsonContext.Default.AgentResponse, Ct);
        using var gatedResponse = await client.PostAsJsonAsync("/api/v1/agents", new AgentRequest { Name = "gated" }, ApexJsonContext.Default.AgentRequest, Ct);
        if (gatedResponse.StatusCode != HttpStatusCode.Created && gatedResponse.StatusCode != HttpStatusCode.Conflict)
        {
            gatedResponse.EnsureSuccessStatusCode();
        }
        var gated = await client.CreateTaskAsync(new CreateTaskRequest { Instruction = $"{Secret} gated", Agent = "gated" }, Ct);
        var approval = await client.WaitForPendingApprovalAsync(gated.Id, Ct);
        await client.WaitForTaskAsync(task.Id, TimeSpan.FromSeconds(30), Ct);
        await client.WaitForDagAsync(dag.Id, TimeSpan.FromSeconds(30), Ct);
        return new AcmeObjects(task.Id, dag.Id, dag.Tasks![0].Id, agent.Id, gated.Id, approval.Id);
    }

    private static void AssertNothingOfAcme(string body, AcmeObjects objects, ApiKeyResponse acmeKey, string where)
    {
        Assert.False(body.Contains(Secret, StringComparison.Ordinal), $"{where} leaked Acme's content: {body}");
        Assert.False(body.Contains(acmeKey.Prefix, StringComparison.Ordinal), $"{where} leaked Acme's key: {body}");
        Assert.False(body.Contains("secret-agent", StringComparison.Ordinal), $"{where} leaked Acme's agent: {body}");
        foreach (var id in new[] { objects.DagTaskId, objects.GatedTaskId })
        {
            Assert.False(body.Contains(id.ToString(), StringComparison.Ordinal), $"{where} leaked an Acme id: {body}");
        }
    }

    /// <summary>A key of <paramref name="tenant"/> with every role, named <c>key-&lt;tenant&gt;</c>, made by the platform admin.</summary>
    private async Task<CreatedApiKeyResponse> KeyAsync(string tenant)
    {
        using var admin = Client(_bootstrap);
        using var response = await admin.PostAsJsonAsync("/api/v1/admin/keys",
            new CreateApiKeyRequest { Name = $"key-{tenant}", Roles = [.. ApexRoles.All], Tenant = tenant }, ApexJsonContext.Default.CreateApiKeyRequest, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.ReadAsync(ApexJsonContext.Default.CreatedApiKeyResponse, Ct);
        Assert.Equal(tenant, created.ApiKey.Tenant);
        return created;
    }

    private HttpClient Client(string key)
    {
        var client = new HttpClient { BaseAddress = _server.Http, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>Every (method, pattern) of the API whose pattern names an object by id.</summary>
    private List<(string Method, string Pattern)> ObjectRoutes() =>
    [
        .. _server.Get<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && raw.StartsWith("/api/v1/", StringComparison.Ordinal) && raw.Contains("{id", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (m, e.RoutePattern.RawText!)))
            .OrderBy(r => r.Item2, StringComparer.Ordinal).ThenBy(r => r.m, StringComparer.Ordinal),
    ];

    private static string KindOf(string pattern) => IdSegment().Match(pattern) is { Success: true } match ? match.Groups["kind"].Value : "";

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient client, string method, string pattern, Guid id)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), IdParameter().Replace(pattern, id.ToString()));
        if (method is "POST" or "PUT" or "PATCH")
        {
            // A valid body for every such route, so the answer is about the id, not the body.
            var body = pattern.StartsWith("/api/v1/agents/", StringComparison.Ordinal) ? """{"name":"renamed"}""" : "{}";
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>The body with the id it was asked about replaced and the per-request trace id dropped.</summary>
    private static string Normalize(string body, Guid id)
    {
        if (JsonNode.Parse(body.Replace(id.ToString(), "{id}", StringComparison.Ordinal)) is not JsonObject json)
        {
            return body;
        }
        json.Remove("traceId");
        json.Remove("trace_id");
        return json.ToJsonString();
    }

    [GeneratedRegex(@"\{id[^}]*\}")]
    private static partial Regex IdParameter();

    [GeneratedRegex(@"^/api/v1/(?<kind>.+?)/\{id")]
    private static partial Regex IdSegment();
}
