using System.Net;
using Apex.Contracts;
using Apex.Contracts.Tasks;
using Apex.Core;
using Apex.Server.Caching;
using Apex.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Caching;

public sealed class TaskCacheTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Get_AfterEachCancelAndRetry_NeverReturnsTheCachedStateItReplaced()
    {
        var ct = TestContext.Current.CancellationToken;
        // No workers: the task waits queued, and a cancel leaves no attempt whose late result would change it again.
        await using var factory = new ApexAppFactory(new Dictionary<string, string?> { ["Apex:Engine:RunWorkers"] = "false" });
        using var counters = new CacheCounters(factory.Services);
        using var client = factory.CreateClient();
        var task = await client.CreateTaskAsync(TaskRequest("Wait in the queue.") with { MaxAttempts = 1 }, ct);

        for (var round = 0; round < 10; round++)
        {
            var cancelled = await PostAsync(client, $"/api/v1/tasks/{task.Id}/cancel", ct);
            Assert.Equal(TaskState.Cancelled, cancelled.Status);
            var afterCancel = await client.GetTaskAsync(task.Id, ct);
            Assert.Equal(TaskState.Cancelled, afterCancel.Status);
            var hits = counters.TaskHits;
            Assert.Equal(TaskState.Cancelled, (await client.GetTaskAsync(task.Id, ct)).Status);
            Assert.True(counters.TaskHits > hits, "A finished task read twice was not served from the cache.");

            var retried = await PostAsync(client, $"/api/v1/tasks/{task.Id}/retry", ct);
            var afterRetry = await client.GetTaskAsync(task.Id, ct);
            // The retry raised max_attempts; the cached cancelled copy had the old value.
            Assert.Equal(retried.MaxAttempts, afterRetry.MaxAttempts);
            Assert.Equal(TaskState.Queued, afterRetry.Status);
        }
    }

    [Fact]
    public async Task Get_AfterFailureThenRetry_ReturnsTheRetriedTaskNotTheCachedFailure()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApexAppFactory();
        using var client = factory.CreateClient();
        var task = await client.CreateTaskAsync(TaskRequest("Fail. [[simulate:error]]") with { MaxAttempts = 1 }, ct);
        var failed = await client.WaitForTaskAsync(task.Id, Deadline, ct);
        Assert.Equal(TaskState.Failed, failed.Status);
        Assert.Equal(TaskState.Failed, (await client.GetTaskAsync(task.Id, ct)).Status);

        for (var round = 1; round <= 5; round++)
        {
            var retried = await PostAsync(client, $"/api/v1/tasks/{task.Id}/retry", ct);
            var afterRetry = await client.GetTaskAsync(task.Id, ct);
            Assert.Equal(retried.MaxAttempts, afterRetry.MaxAttempts);
            Assert.True(afterRetry.MaxAttempts > failed.MaxAttempts);
            // It fails again at once (the directive is in the instruction), and that failure is read too.
            failed = await WaitForMaxAttemptsAsync(client, task.Id, retried.MaxAttempts, ct);
            Assert.Equal(round + 1, failed.Attempt);
        }
    }

    [Fact]
    public async Task Get_AfterCompletionSeenOnTheEventStream_ReturnsSucceeded()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApexAppFactory();
        using var client = factory.CreateClient();
        for (var round = 0; round < 5; round++)
        {
            var task = await client.CreateTaskAsync(TaskRequest($"Round {round}. [[simulate:delay=100]]"), ct);
            Assert.NotEqual(TaskState.Succeeded, (await client.GetTaskAsync(task.Id, ct)).Status);

            using var stream = await client.GetStreamAsync($"/api/v1/tasks/{task.Id}/stream", ct);
            await foreach (var _ in System.Net.ServerSentEvents.SseParser.Create(stream).EnumerateAsync(ct))
            {
                // Drained to the end: the server closes the stream after the terminal event.
            }

            var done = await client.GetTaskAsync(task.Id, ct);
            Assert.Equal(TaskState.Succeeded, done.Status);
            Assert.NotNull(done.Output);
        }
    }

    [Fact]
    public async Task Get_HundredConcurrentReadsOfAnUncachedFinishedTask_ReadTheStoreOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApexAppFactory();
        using var client = factory.CreateClient();
        var task = await client.CreateTaskAsync(TaskRequest("Finish."), ct);
        var done = await client.WaitForTaskAsync(task.Id, Deadline, ct);
        Assert.Equal(TaskState.Succeeded, done.Status);
        // Polling cached it; start from a cold cache.
        await factory.Services.GetRequiredService<Microsoft.Extensions.Caching.Hybrid.HybridCache>()
            .RemoveAsync(TaskCacheCoherence.Key(Tenancy.DefaultTenant, task.Id), ct);
        using var counters = new CacheCounters(factory.Services);

        using var start = new ManualResetEventSlim();
        var reads = Enumerable.Range(0, 100).Select(_ => Task.Run(async () =>
        {
            start.Wait(ct);
            return await client.GetTaskAsync(task.Id, ct);
        }, ct)).ToList();
        start.Set();
        var answers = await Task.WhenAll(reads);

        Assert.All(answers, a => Assert.Equal((TaskState.Succeeded, done.Output, done.FinishedAt), (a.Status, a.Output, a.FinishedAt)));
        Assert.InRange(counters.TaskMisses, 0, 1);
        Assert.Equal(100, counters.TaskHits + counters.TaskMisses);
    }

    [Fact]
    public async Task Get_UnknownTask_Returns404AndCachesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApexAppFactory();
        using var client = factory.CreateClient();
        using var counters = new CacheCounters(factory.Services);
        var id = Guid.NewGuid();

        for (var i = 0; i < 3; i++)
        {
            using var response = await client.GetAsync($"/api/v1/tasks/{id}", ct);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        Assert.Equal(3, counters.TaskMisses);
    }

    [Theory]
    [InlineData("Apex:Cache:HealthTtl", "00:01:00", 1)]
    [InlineData("Apex:Cache:Enabled", "false", 50)]
    public async Task Detailed_HealthStorm_ComputesTheDocumentOncePerTtlUnlessDisabled(string setting, string value, int computed)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApexAppFactory(new Dictionary<string, string?> { [setting] = value });
        using var client = factory.CreateClient();
        using var counters = new CacheCounters(factory.Services);

        var storm = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => client.GetHealthAsync(ct)));

        Assert.All(storm, h => Assert.Equal("healthy", h.Status));
        Assert.Equal(computed, counters.HealthMisses);
    }

    private static async Task<TaskResponse> PostAsync(HttpClient client, string path, CancellationToken ct)
    {
        using var response = await client.PostAsync(path, null, ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return await response.ReadAsync(ApexJsonContext.Default.TaskResponse, ct);
    }

    private static async Task<TaskResponse> WaitForMaxAttemptsAsync(HttpClient client, Guid id, int maxAttempts, CancellationToken ct) =>
        await ApexHttp.PollAsync(async () =>
        {
            var task = await client.GetTaskAsync(id, ct);
            return task.Status == TaskState.Failed && task.MaxAttempts == maxAttempts ? task : null;
        }, Deadline, ct) ?? throw new TimeoutException($"Task {id} did not fail again at max_attempts {maxAttempts}.");
}
