using System.Text.Json;
using Apex.Core.Agents;
using Apex.Core.Events;
using Apex.Testing;
using StackExchange.Redis;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Live;

/// <summary>
/// Two API servers in distributed mode on one PostgreSQL database and one Redis prefix (<c>APEX_TEST_PG</c>,
/// <c>APEX_TEST_REDIS</c>; skipped without them, failed under CI=true). No worker runs: tasks are created and cancelled.
/// </summary>
public sealed class LiveDistributedTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task Subscribe_OnServerB_SeesEventsCommittedThroughServerA_LiveAndReplayed()
    {
        var ct = TestContext.Current.CancellationToken;
        PostgresDatabase.RequireServer();
        var redis = TestServices.Require(TestServices.RedisVariable, "a Redis server");
        var prefix = $"apexws:{Guid.NewGuid():N}";
        var settings = Settings(database.ConnectionString, redis, prefix);
        try
        {
            await using var a = LiveServer.Start(settings);
            await using var b = LiveServer.Start(settings);
            await using var live = await LiveClient.ConnectAsync(b.Ws, ct);
            await live.SubscribeAsync("all", "tasks", ct);
            await live.ReceiveUntilAsync("subscribed", ct);

            var task = await a.Client.CreateTaskAsync(TaskRequest("Committed through A."), ct);
            using (var cancel = await a.Client.PostAsync($"/api/v1/tasks/{task.Id}/cancel", null, ct))
            {
                cancel.EnsureSuccessStatusCode();
            }
            var seen = new List<JsonElement>();
            while (seen.Count == 0 || seen[^1].GetProperty("event_type").GetString() != EventTypes.TaskCancelled)
            {
                var e = await live.ReceiveUntilAsync("event", ct);
                if (e.GetProperty("task_id").GetGuid() == task.Id)
                {
                    seen.Add(e);
                }
            }
            await using var late = await LiveClient.ConnectAsync(b.Ws, ct);
            await late.SubscribeAsync("history", "tasks", ct, filter: null, since: 0);
            var replayed = new List<JsonElement>();
            await late.ReceiveUntilAsync("subscribed", ct, replayed);

            var history = (await b.Client.GetTaskEventsAsync(task.Id, ct)).Select(h => h.Seq).ToList();
            Assert.Equal(history, seen.Select(e => e.GetProperty("seq").GetInt64()));
            Assert.Equal(EventTypes.TaskCreated, seen[0].GetProperty("event_type").GetString());
            Assert.All(seen, e => Assert.Equal(AgentDefinition.DefaultName, e.GetProperty("agent").GetString()));
            Assert.Equal(history, replayed.Where(e => e.GetProperty("task_id").GetGuid() == task.Id).Select(e => e.GetProperty("seq").GetInt64()));
        }
        finally
        {
            await DeleteKeysAsync(redis, prefix);
        }
    }

    [Fact]
    public async Task Tenants_OnTwoServers_EachSocketSeesOnlyItsTenant()
    {
        var ct = TestContext.Current.CancellationToken;
        PostgresDatabase.RequireServer();
        var redis = TestServices.Require(TestServices.RedisVariable, "a Redis server");
        var prefix = $"apexws:{Guid.NewGuid():N}";
        var bootstrap = Apex.Core.Security.ApiKeyFormat.Generate();
        // A database of its own: keys in the store turn every server on it to Required mode, the other test's included.
        var settings = Settings(await database.CreateDatabaseAsync(), redis, prefix);
        settings["Apex:Auth:BootstrapAdminKey"] = bootstrap;
        try
        {
            await using var a = LiveServer.Start(settings);
            await using var b = LiveServer.Start(settings);
            var acme = await KeyAsync(a, bootstrap, "acme", ct);
            var globex = await KeyAsync(a, bootstrap, "globex", ct);
            await using var acmeOnB = await LiveClient.ConnectAsync(b.Ws, ct, bearer: acme);
            await using var globexOnB = await LiveClient.ConnectAsync(b.Ws, ct, bearer: globex);
            foreach (var socket in new[] { acmeOnB, globexOnB })
            {
                await socket.SubscribeAsync("all", "tasks", ct);
                await socket.ReceiveUntilAsync("subscribed", ct);
            }

            using var acmeOnA = Authorized(a, acme);
            using var globexOnA = Authorized(a, globex);
            // Interleaved commits through A: each socket on B reads up to its tenant's last task and sees nothing else.
            var acmeTasks = new List<Guid>();
            var globexTasks = new List<Guid>();
            for (var i = 0; i < 2; i++)
            {
                acmeTasks.Add((await acmeOnA.CreateTaskAsync(TaskRequest($"Acme's {i}, through A."), ct)).Id);
                globexTasks.Add((await globexOnA.CreateTaskAsync(TaskRequest($"Globex's {i}, through A."), ct)).Id);
            }
            foreach (var (socket, own) in new[] { (acmeOnB, acmeTasks), (globexOnB, globexTasks) })
            {
                Guid seen;
                do
                {
                    seen = (await socket.ReceiveUntilAsync("event", ct)).GetProperty("task_id").GetGuid();
                    Assert.Contains(seen, own);
                }
                while (seen != own[^1]);
            }
            var globexTask = globexTasks[0];

            // And the other server's REST answers 404 across tenants too.
            using var acmeOnB2 = Authorized(b, acme);
            using var foreign = await acmeOnB2.GetAsync($"/api/v1/tasks/{globexTask}", ct);
            Assert.Equal(System.Net.HttpStatusCode.NotFound, foreign.StatusCode);
        }
        finally
        {
            await DeleteKeysAsync(redis, prefix);
        }
    }

    private static Dictionary<string, string?> Settings(string postgres, string redis, string prefix) => new()
    {
        ["ConnectionStrings:Postgres"] = postgres,
        ["ConnectionStrings:Redis"] = redis,
        ["Apex:Redis:Prefix"] = prefix,
        ["Logging:LogLevel:StackExchange.Redis"] = "Warning",
    };

    private static HttpClient Authorized(LiveServer server, string key)
    {
        var client = new HttpClient { BaseAddress = server.Http };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private static async Task<string> KeyAsync(LiveServer server, string bootstrap, string tenant, CancellationToken ct)
    {
        using var admin = Authorized(server, bootstrap);
        using var response = await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(admin, "/api/v1/admin/keys",
            new Apex.Contracts.Keys.CreateApiKeyRequest { Name = tenant, Roles = ["operator", "viewer"], Tenant = tenant },
            Apex.Contracts.ApexJsonContext.Default.CreateApiKeyRequest, ct);
        return (await response.ReadAsync(Apex.Contracts.ApexJsonContext.Default.CreatedApiKeyResponse, ct)).Key;
    }

    private static async Task DeleteKeysAsync(string endpoint, string prefix)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(endpoint);
        var server = redis.GetServers().First(s => !s.IsReplica);
        var keys = new List<RedisKey>();
        await foreach (var key in server.KeysAsync(pattern: prefix + ":*", pageSize: 1000))
        {
            keys.Add(key);
        }
        if (keys.Count > 0)
        {
            await redis.GetDatabase().KeyDeleteAsync([.. keys]);
        }
    }
}
