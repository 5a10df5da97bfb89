using System.Net;
using Apex.Contracts.Tasks;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Telemetry;

/// <summary>
/// Alone: an OpenTelemetry meter provider listens to every meter of its name in the process, so a server hosted by
/// another test at the same time would add its own gauges (another worker pool) to this one's scrape.
/// </summary>
[Collection(Name)]
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsTests
{
    private const string Name = "Metrics";

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Metrics_AfterTasksAndRequests_ServesTheSeedNamesInPrometheusText()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApexAppFactory(new Dictionary<string, string?> { ["Apex:Engine:MaxConcurrency"] = "5" });
        using var client = factory.CreateClient();
        var task = await client.WaitForTaskAsync((await client.CreateTaskAsync(TaskRequest("Summarise the seed."), ct)).Id, Deadline, ct);
        Assert.Equal(TaskState.Succeeded, task.Status);
        using (var missing = await client.GetAsync($"/api/v1/tasks/{Guid.NewGuid()}", ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        var scrape = await PrometheusScrape.GetAsync(client, cancellationToken: ct);

        Assert.Equal("histogram", scrape.Types.GetValueOrDefault("apex_request_duration"));
        Has(scrape, "apex_request_duration_bucket", s => s.Labels.GetValueOrDefault("route") == "/api/v1/tasks/" && s.Labels["le"] == "+Inf" && s.Value >= 1);
        Has(scrape, "apex_requests_total", s =>
            s.Labels.GetValueOrDefault("route") == "/api/v1/tasks/{id:guid}" && s.Labels.GetValueOrDefault("status") == "404" && s.Labels["method"] == "GET" && s.Value >= 1);
        Has(scrape, "apex_requests_total", s => s.Labels.GetValueOrDefault("status") == "201" && s.Labels["method"] == "POST");
        Assert.Equal(5, Single(scrape, "apex_worker_pool_max"));
        Assert.InRange(Single(scrape, "apex_worker_pool_available"), 0, 5);
        Assert.InRange(Single(scrape, "apex_queue_depth"), 0, 1);
        Assert.True(Single(scrape, "apex_db_connections_max") > 0);
        Assert.InRange(Single(scrape, "apex_db_connections_active"), 0, Single(scrape, "apex_db_connections_max"));
        Assert.Equal(0, Single(scrape, "apex_websocket_connections_active"));
        Has(scrape, "apex_task_duration_count", s => s.Labels.GetValueOrDefault("outcome") == "succeeded" && s.Value >= 1);
        Has(scrape, "apex_tasks_finished_total", s => s.Labels.GetValueOrDefault("status") == "succeeded" && s.Value >= 1);
        Has(scrape, "apex_llm_tokens_total", s => s.Labels.GetValueOrDefault("type") == "output" && s.Value > 0);
        Assert.Contains("apex_llm_cost_usd_total", scrape.Names);
    }

    [Fact]
    public async Task Metrics_OtherPath_ServedThereOnly()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApexAppFactory(new Dictionary<string, string?> { ["Apex:Metrics:Path"] = "/internal/metrics" });
        using var client = factory.CreateClient();

        var scrape = await PrometheusScrape.GetAsync(client, "/internal/metrics", ct);
        using var old = await client.GetAsync("/metrics", ct);

        Assert.Contains("apex_queue_depth", scrape.Names);
        Assert.Equal(HttpStatusCode.NotFound, old.StatusCode);
    }

    [Fact]
    public async Task Metrics_Disabled_NoEndpoint()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApexAppFactory(new Dictionary<string, string?> { ["Apex:Metrics:Enabled"] = "false" });
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/metrics", ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private static void Has(PrometheusScrape scrape, string name, Func<PrometheusSample, bool> match) =>
        Assert.True(scrape.Named(name).Any(match), $"No {name} sample as expected. Scrape:\n{scrape.Text}");

    private static double Single(PrometheusScrape scrape, string name)
    {
        var samples = scrape.Named(name);
        Assert.True(samples.Count == 1, $"{name}: {samples.Count} samples, expected 1. Scrape:\n{scrape.Text}");
        return samples[0].Value;
    }
}
