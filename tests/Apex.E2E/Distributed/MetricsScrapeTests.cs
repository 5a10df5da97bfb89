using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Apex.Contracts;
using Apex.Contracts.Agents;
using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Testing;
using Apex.Testing.LlmFakes;
using Xunit;
using YamlDotNet.RepresentationModel;
using static Apex.Testing.Specs;

namespace Apex.E2E.Distributed;

/// <summary>
/// What deploy/ ships for monitoring reads metrics that exist: after real work (a DAG, a cascade, a task stopped by its
/// contract) through an API server and a worker process, every metric named by the recording rules, the alerts and the
/// Grafana dashboards is in one of the two scrapes, and every recording rule they use is defined.
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed partial class MetricsScrapeTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static readonly HashSet<string> Keywords =
        ["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan"];

    [Fact]
    public async Task Scrapes_OfServerAndWorkerAfterWork_HoldEveryMetricOfTheRulesAlertsAndDashboards()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = await OpenAiFake.StartAsync(ct);
        await using var cluster = await DistributedCluster.CreateAsync(DistributedCluster.SharedRedisOrSkip(), DistributedCluster.SharedPostgresOrSkip(), ct);
        try
        {
            var settings = new Dictionary<string, string>
            {
                ["OPENAI_BASE_URL"] = fake.BaseUrl,
                ["OPENAI_API_KEY"] = FakeSecrets.OpenAi("apex-e2e-metrics-7d1e"),
            };
            var server = await cluster.StartServerAsync(settings, ct);
            var workerAddress = new Uri($"http://127.0.0.1:{FreePort()}");
            await cluster.StartWorkerAsync("metrics-1", 4, new Dictionary<string, string>(settings) { ["urls"] = workerAddress.ToString().TrimEnd('/') }, ct);
            using var client = server.CreateClient();

            var dag = await client.WaitForDagAsync((await client.CreateDagAsync(Dag(
                Node("research", "Research the market for agent orchestrators."),
                Node("report", "Write a report from: {{tasks.research.output}}", "research")), ct)).Id, Deadline, ct);
            using (var agent = await client.PostAsJsonAsync("/api/v1/agents",
                new AgentRequest { Name = "frugal", Provider = "openai", Model = "gpt-4o", Cascade = ["gpt-4o-mini", "gpt-4o"] },
                ApexJsonContext.Default.AgentRequest, ct))
            {
                Assert.Equal(HttpStatusCode.Created, agent.StatusCode);
            }
            var cascaded = await client.WaitForTaskAsync((await client.CreateTaskAsync(TaskRequest("Name three primary colours.", agent: "frugal"), ct)).Id, Deadline, ct);
            var limited = await client.WaitForTaskAsync((await client.CreateTaskAsync(
                TaskRequest("Write a long essay on queues.") with { Limits = new TaskLimits { TokenLimit = 5 } }, ct)).Id, Deadline, ct);
            Assert.Equal(DagState.Succeeded, dag.Status);
            Assert.Equal(TaskState.Succeeded, cascaded.Status);
            Assert.Equal((TaskState.Failed, "token_limit_exceeded"), (limited.Status, limited.Error?.Code));

            var serverScrape = await PrometheusScrape.GetAsync(client, cancellationToken: ct);
            using var workerClient = new HttpClient { BaseAddress = workerAddress };
            var workerScrape = await PrometheusScrape.GetAsync(workerClient, cancellationToken: ct);

            // The processes' own figures, read from their state: the worker's pool is its 4 slots, the server runs none.
            Assert.Equal([4.0], workerScrape.Named("apex_worker_pool_max").Select(s => s.Value));
            Assert.Empty(serverScrape.Named("apex_worker_pool_max"));
            Assert.Contains(serverScrape.Named("apex_db_connections_max"), s => s.Value > 0);
            Assert.Contains(workerScrape.Named("apex_redis_connections_active"), s => s.Value >= 1);
            Assert.Contains(workerScrape.Named("apex_contract_violations_total"), s => s.Labels.GetValueOrDefault("code") == "token_limit_exceeded");
            Assert.Contains(workerScrape.Named("apex_circuit_breaker_state"), s => s.Labels.GetValueOrDefault("provider") == "openai" && s.Value == 0);
            Assert.Contains(serverScrape.Named("apex_tasks_finished_total"), s => s.Labels.GetValueOrDefault("status") == "failed" && s.Value >= 1);

            var exposed = serverScrape.Names.Union(workerScrape.Names).ToHashSet(StringComparer.Ordinal);
            var recorded = RecordedNames();
            var used = UsedNames();
            Assert.Superset(new HashSet<string>(["apex_request_duration_bucket", "apex_requests_total", "apex_queue_depth", "apex_db_connections_active",
                "apex_redis_connections_active", "apex_websocket_connections_active", "apex_worker_pool_max", "apex_task_duration_bucket",
                "apex_llm_cost_usd_total", "apex_circuit_breaker_state", "apex:request_latency_p95"]), used);
            var missing = used.Where(name => name.Contains(':', StringComparison.Ordinal) ? !recorded.Contains(name) : !exposed.Contains(name)).Order().ToList();
            Assert.True(missing.Count == 0,
                $"Used by deploy/ but not exposed (or, for a recording rule, not defined): {string.Join(", ", missing)}\n"
                + $"Server scrape:\n{serverScrape.Text}\nWorker scrape:\n{workerScrape.Text}");
        }
        catch
        {
            cluster.DumpLogs();
            throw;
        }
    }

    /// <summary>Every metric name in the expressions of rules.yml, alerts.yml and the dashboards.</summary>
    private static HashSet<string> UsedNames()
    {
        var deploy = Path.Combine(ServerProcess.RepositoryRoot, "deploy");
        var expressions = RuleNodes("rules.yml").Concat(RuleNodes("alerts.yml")).Select(r => ((YamlScalarNode)r.Children["expr"]).Value!).ToList();
        foreach (var file in Directory.GetFiles(Path.Combine(deploy, "grafana", "dashboards"), "*.json"))
        {
            using var dashboard = JsonDocument.Parse(File.ReadAllText(file));
            expressions.AddRange(dashboard.RootElement.GetProperty("panels").EnumerateArray()
                .SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!));
        }
        return [.. expressions.SelectMany(MetricNames)];
    }

    private static HashSet<string> RecordedNames() =>
        [.. RuleNodes("rules.yml").Where(r => r.Children.ContainsKey("record")).Select(r => ((YamlScalarNode)r.Children["record"]).Value!)];

    private static IEnumerable<YamlMappingNode> RuleNodes(string file)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(ServerProcess.RepositoryRoot, "deploy", "prometheus", file)))
        {
            yaml.Load(reader);
        }
        var groups = (YamlSequenceNode)((YamlMappingNode)yaml.Documents[0].RootNode).Children["groups"];
        return groups.Cast<YamlMappingNode>().SelectMany(g => ((YamlSequenceNode)g.Children["rules"]).Cast<YamlMappingNode>());
    }

    /// <summary>
    /// The metric names of a PromQL expression: identifiers that are not functions or aggregations (followed by a
    /// parenthesis), keywords, label names (in matchers and in <c>by</c>/<c>without</c>/<c>on</c>/<c>ignoring</c> lists)
    /// or durations.
    /// </summary>
    internal static IEnumerable<string> MetricNames(string expression)
    {
        var text = Strings().Replace(expression, "\"\"");
        text = Matchers().Replace(text, " ");
        text = Ranges().Replace(text, " ");
        text = Groupings().Replace(text, " ");
        foreach (Match m in Identifiers().Matches(text))
        {
            var rest = text.AsSpan(m.Index + m.Length).TrimStart();
            if (!Keywords.Contains(m.Value) && !(rest.Length > 0 && rest[0] == '('))
            {
                yield return m.Value;
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Groupings();

    [GeneratedRegex(@"(?<![\w.:])[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex Identifiers();
}
