using System.Net.ServerSentEvents;
using System.Text.Json;
using Apex.Contracts;
using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Server.Tests.Conformance;
using Apex.Testing;
using Apex.Testing.LlmFakes;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Agents;

/// <summary>
/// A DAG on a real provider client: the server is pointed at an OpenAI-compatible fake on loopback through nothing but
/// <c>OPENAI_BASE_URL</c> and <c>OPENAI_API_KEY</c>, and its output deltas reach an SSE client.
/// </summary>
public sealed class OpenAiEndToEndTests
{
    private const string ApiKey = "sk-test-canary-0123456789abcdef";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Dag_OnTheOpenAiFake_RunsEndToEndAndStreamsItsDeltasOverSse()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = await OpenAiFake.StartAsync(ct);
        // The first answer waits a moment, so the stream below is listening before the deltas are written.
        fake.Enqueue(FakeReply.WithText("Alpha figures: revenue up nine percent, costs flat, margin better by two points.", 42, 17)
            with { Delay = TimeSpan.FromSeconds(1.5) });
        await using var server = await new EmbeddedBackend().StartAsync(new Dictionary<string, string?>
        {
            ["OPENAI_BASE_URL"] = fake.BaseUrl,
            ["OPENAI_API_KEY"] = ApiKey,
        });
        var client = server.Client;

        var dag = await client.CreateDagAsync(Dag(Node("a", "Collect the figures."), Node("b", "Summarise: {{tasks.a.output}}", "a")), ct);
        var items = await ReadDagStreamAsync(client, dag.Id, ct);

        Assert.Equal(EventTypes.DagSucceeded, items[^1].EventType);
        var a = await client.GetTaskAsync(dag.Tasks!.Single(t => t.Key == "a").Id, ct);
        var b = await client.GetTaskAsync(dag.Tasks!.Single(t => t.Key == "b").Id, ct);
        Assert.Equal("Alpha figures: revenue up nine percent, costs flat, margin better by two points.", a.Output);
        Assert.Equal((42L, 17L, 1), (a.Usage.InputTokens, a.Usage.OutputTokens, a.Usage.ApiCalls));
        Assert.Contains(a.Output!, b.Output, StringComparison.Ordinal); // the fake echoes the rendered instruction
        var deltasOfA = items.Where(i => i.EventType == EventTypes.OutputDelta && TaskOf(i) == a.Id).Select(Text).ToList();
        Assert.True(deltasOfA.Count > 1, $"{deltasOfA.Count} deltas");
        Assert.Equal(a.Output, string.Concat(deltasOfA));

        Assert.Equal(2, fake.RequestCount);
        Assert.All(fake.Requests, r => Assert.Equal("/v1/chat/completions", r.Path));
        Assert.All(fake.Requests, r => Assert.DoesNotContain(ApiKey, r.Body, StringComparison.Ordinal));
        var agents = await client.GetStringAsync("/api/v1/agents", ct);
        Assert.Contains("\"provider\":\"openai\"", agents, StringComparison.Ordinal);
        var usage = await client.GetStringAsync("/api/v1/usage?group_by=model", ct);
        Assert.Contains("\"key\":\"gpt-4o-mini\"", usage, StringComparison.Ordinal);
        foreach (var id in new[] { a.Id, b.Id })
        {
            Assert.DoesNotContain(ApiKey, await client.GetStringAsync($"/api/v1/tasks/{id}/events", ct), StringComparison.Ordinal);
        }
        Assert.All(items, i => Assert.DoesNotContain(ApiKey, i.Data, StringComparison.Ordinal));
    }

    private static Guid TaskOf(SseItem<string> item)
    {
        using var data = JsonDocument.Parse(item.Data);
        return data.RootElement.GetProperty("aggregate_id").GetGuid();
    }

    private static string Text(SseItem<string> item)
    {
        using var data = JsonDocument.Parse(item.Data);
        return data.RootElement.GetProperty("data").GetProperty("text").GetString()!;
    }

    private static async Task<List<SseItem<string>>> ReadDagStreamAsync(HttpClient client, Guid dagId, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Deadline);
        using var response = await client.GetAsync($"/api/v1/dags/{dagId}/stream", HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        response.EnsureSuccessStatusCode();
        await using var stream = await response.Content.ReadAsStreamAsync(deadline.Token);
        var items = new List<SseItem<string>>();
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(deadline.Token))
        {
            items.Add(item);
        }
        return items;
    }
}
