using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Apex.Contracts;
using Apex.Contracts.Tasks;
using Apex.Contracts.Tenants;
using Apex.Core;
using Apex.Server.Tests.Security;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Quotas;

/// <summary>
/// A tenant's queued-task, daily cost and concurrent-run quotas on the embedded server. Submissions still go to the default
/// tenant (tenant isolation of the tasks API is separate work), so the quotas here are the default tenant's.
/// </summary>
public sealed class TaskQuotaTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task QueuedTasks_OverQuota_Is429WithRetryAfter_AndARefusedBatchStoresNothing()
    {
        await using var auth = AuthFixture.Create(new Dictionary<string, string?> { ["Apex:Engine:RunWorkers"] = "false" });
        using var client = auth.Client(auth.BootstrapKey);
        await SetQuotasAsync(client, new TenantQuotaValues { QueuedTasks = 5 });

        using (var batch = await PostBatchAsync(client, 3))
        {
            Assert.Equal(HttpStatusCode.Created, batch.StatusCode);
        }
        using (var over = await PostBatchAsync(client, 3))
        {
            await AssertQuotaProblemAsync(over, "quota_exceeded", "queued_tasks");
        }
        Assert.Equal(3, await CountTasksAsync(client));

        Assert.Equal(TaskState.Queued, (await client.CreateTaskAsync(TaskRequest("four"), Ct)).Status);
        Assert.Equal(TaskState.Queued, (await client.CreateTaskAsync(TaskRequest("five"), Ct)).Status);
        using (var sixth = await client.PostAsJsonAsync("/api/v1/tasks", TaskRequest("six"), ApexJsonContext.Default.CreateTaskRequest, Ct))
        {
            await AssertQuotaProblemAsync(sixth, "quota_exceeded", "queued_tasks");
        }
        using (var dag = await client.PostAsJsonAsync("/api/v1/dags", Dag(Node("a", "A")), ApexJsonContext.Default.CreateDagRequest, Ct))
        {
            await AssertQuotaProblemAsync(dag, "quota_exceeded", "queued_tasks");
        }
        Assert.Equal(5, await CountTasksAsync(client));

        // Cancelling frees room: the quota counts tasks not yet running and not finished.
        var first = (await client.GetFromJsonAsync("/api/v1/tasks?limit=1", ApexJsonContext.Default.PageTaskResponse, Ct))!.Items[0];
        (await client.PostAsync($"/api/v1/tasks/{first.Id}/cancel", null, Ct)).Dispose();
        var accepted = await ApexHttp.PollAsync(async () =>
        {
            using var retry = await client.PostAsJsonAsync("/api/v1/tasks", TaskRequest("six"), ApexJsonContext.Default.CreateTaskRequest, Ct);
            return retry.StatusCode == HttpStatusCode.Created ? "yes" : null;
        }, Deadline, Ct);
        Assert.NotNull(accepted);
    }

    [Fact]
    public async Task CostPerDay_Reached_RefusesSubmissionsUntilUtcMidnight()
    {
        await using var auth = AuthFixture.Create(new Dictionary<string, string?> { ["Apex:Quotas:UsageCacheTtl"] = "00:00:00" });
        using var client = auth.Client(auth.BootstrapKey);
        await SetQuotasAsync(client, new TenantQuotaValues { CostPerDayUsd = 0.000001m });

        var spent = await client.CreateTaskAsync(TaskRequest("Write a long report on durable queues."), Ct);
        var done = await client.WaitForTaskAsync(spent.Id, Deadline, Ct);
        Assert.Equal(TaskState.Succeeded, done.Status);
        Assert.True(done.Usage.CostUsd >= 0.000001m, $"The simulated call cost {done.Usage.CostUsd}, below the quota.");

        using var refused = await client.PostAsJsonAsync("/api/v1/tasks", TaskRequest("one more"), ApexJsonContext.Default.CreateTaskRequest, Ct);
        var now = DateTimeOffset.UtcNow;
        var retryAfter = await AssertQuotaProblemAsync(refused, "quota_exceeded", "cost_per_day_usd");
        var untilMidnight = new DateTimeOffset(now.UtcDateTime.Date.AddDays(1), TimeSpan.Zero) - now;
        Assert.InRange(retryAfter, Math.Max(1, untilMidnight.TotalSeconds - 10), untilMidnight.TotalSeconds + 10);
        Assert.Equal(1, await CountTasksAsync(client));

        // A platform admin lifts the quota: accepted again at once on this server.
        await SetQuotasAsync(client, new TenantQuotaValues { CostPerDayUsd = 0 });
        using var accepted = await client.PostAsJsonAsync("/api/v1/tasks", TaskRequest("after the raise"), ApexJsonContext.Default.CreateTaskRequest, Ct);
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
    }

    [Fact]
    public async Task ConcurrentRuns_TenantCap_KeepsTheOthersQueued_AndAllFinish()
    {
        await using var auth = AuthFixture.Create(new Dictionary<string, string?> { ["Apex:Simulated:LatencyMs"] = "150" });
        using var client = auth.Client(auth.BootstrapKey);
        await SetQuotasAsync(client, new TenantQuotaValues { ConcurrentRuns = 2 });

        using (var batch = await PostBatchAsync(client, 8))
        {
            Assert.Equal(HttpStatusCode.Created, batch.StatusCode);
        }
        var ids = (await client.GetFromJsonAsync("/api/v1/tasks?limit=100", ApexJsonContext.Default.PageTaskResponse, Ct))!.Items.Select(t => t.Id).ToList();
        var finished = new List<TaskResponse>();
        foreach (var id in ids)
        {
            finished.Add(await client.WaitForTaskAsync(id, Deadline, Ct));
        }

        Assert.All(finished, t => Assert.Equal(TaskState.Succeeded, t.Status));
        // The most runs that overlapped in time: the default agent alone would run all 8 at once.
        var edges = finished.SelectMany(t => new[] { (At: t.StartedAt!.Value, Delta: 1), (At: t.FinishedAt!.Value, Delta: -1) })
            .OrderBy(e => e.At).ThenBy(e => e.Delta);
        var (running, most) = (0, 0);
        foreach (var edge in edges)
        {
            running += edge.Delta;
            most = Math.Max(most, running);
        }
        Assert.Equal(2, most);
    }

    /// <summary>Sets <paramref name="tenant"/>'s quota overrides through the admin API, as a platform admin.</summary>
    internal static async Task SetQuotasAsync(HttpClient platform, TenantQuotaValues quotas, string tenant = Tenancy.DefaultTenant)
    {
        using var response = await platform.PutAsJsonAsync($"/api/v1/admin/tenants/{tenant}/quotas", quotas, ApexJsonContext.Default.TenantQuotaValues, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static Task<HttpResponseMessage> PostBatchAsync(HttpClient client, int count) =>
        client.PostAsJsonAsync("/api/v1/tasks/batch",
            new CreateTaskBatchRequest { Tasks = [.. Enumerable.Range(0, count).Select(i => TaskRequest($"task {i}"))] },
            ApexJsonContext.Default.CreateTaskBatchRequest, Ct);

    private static async Task<int> CountTasksAsync(HttpClient client) =>
        (await client.GetFromJsonAsync("/api/v1/tasks?limit=100", ApexJsonContext.Default.PageTaskResponse, Ct))!.Items.Count;

    /// <summary>Asserts a 429 problem naming <paramref name="quota"/>; returns its Retry-After in seconds.</summary>
    internal static async Task<double> AssertQuotaProblemAsync(HttpResponseMessage response, string code, string quota)
    {
        var problem = await Problem.ReadAsync(response, Ct);
        Assert.Equal(HttpStatusCode.TooManyRequests, problem.Status);
        Assert.Equal("application/problem+json", problem.ContentType);
        Assert.Equal(code, problem.Code);
        Assert.Equal(quota, problem.Body.GetProperty("quota").GetString());
        var retryAfter = Assert.Single(response.Headers.GetValues("Retry-After"));
        var seconds = int.Parse(retryAfter, CultureInfo.InvariantCulture);
        Assert.True(seconds >= 1, $"Retry-After {seconds}");
        return seconds;
    }
}
