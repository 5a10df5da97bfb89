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
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            ["ConnectionStrings:Redis"] = redis,
            ["Apex:Redis:Prefix"] = prefix,
            ["Logging:LogLevel:StackExchange.Redis"] = "Warning",
        };
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
