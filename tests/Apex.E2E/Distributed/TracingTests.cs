using Apex.Contracts.Dags;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.E2E.Distributed;

[Collection(DistributedCollection.Name)]
public sealed class TracingTests
{
    private static readonly TimeSpan SpanDeadline = TimeSpan.FromSeconds(20);

    /// <summary>
    /// A DAG of three nodes runs on a real API server and a real worker, both exporting OTLP/HTTP to a receiver of the
    /// test's own. Every span of the DAG, from both processes, is in the trace of its submission: the API request, the
    /// DAG's submit span, each task's dispatch and completion (server), each attempt's run and its LLM calls (worker); each
    /// worker span's parent is a span of the same trace, so the trace is one tree across the two processes.
    /// </summary>
    [Fact]
    public async Task SubmitDag_ServerAndWorkerExportOtlp_AllTheDagsSpansShareOneTrace()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var receiver = OtlpTraceReceiver.Start();
        await using var cluster = await DistributedCluster.CreateAsync(DistributedCluster.SharedRedisOrSkip(), DistributedCluster.SharedPostgresOrSkip(), ct);
        try
        {
            var otlp = new Dictionary<string, string>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
                // Export every 200 ms instead of every 5 s, so the test waits for spans, not for the batch timer.
                ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            };
            var server = await cluster.StartServerAsync(otlp, ct);
            await cluster.StartWorkerAsync("trace-1", 4, otlp, ct);
            using var client = server.CreateClient();

            var dag = await client.CreateDagAsync(Dag(
                Node("research", "Research the market for agent orchestrators."),
                Node("analyze", "Analyze: {{tasks.research.output}}", "research"),
                Node("report", "Report on: {{tasks.research.output}}", "research")), ct);
            var done = await client.WaitForDagAsync(dag.Id, TimeSpan.FromSeconds(30), ct);
            Assert.Equal(DagState.Succeeded, done.Status);
            var taskIds = (done.Tasks ?? dag.Tasks ?? []).Select(t => t.Id.ToString()).ToHashSet();
            Assert.Equal(3, taskIds.Count);

            // Each task's last spans: the worker's run and the server's completion of its result.
            var spans = await ApexHttp.PollAsync(() =>
            {
                var all = receiver.Spans;
                var complete = taskIds.All(id =>
                    all.Any(s => s.Service == "apex-worker" && s.Name == "apex.task.run" && s.Attributes.GetValueOrDefault("apex.task.id") == id)
                    && all.Any(s => s.Service == "apex-server" && s.Name == "apex.task.complete" && s.Attributes.GetValueOrDefault("apex.task.id") == id));
                return Task.FromResult(complete ? all : null);
            }, SpanDeadline, ct);
            Assert.True(spans is not null, $"Not every task's run and completion spans arrived within {SpanDeadline}; received: " +
                string.Join(", ", receiver.Spans.Select(s => $"{s.Service}/{s.Name}")));

            var submit = Assert.Single(spans, s => s.Name == "apex.dag.submit" && s.Attributes.GetValueOrDefault("apex.dag.id") == dag.Id.ToString());
            Assert.Equal("apex-server", submit.Service);
            var trace = spans.Where(s => s.TraceId == submit.TraceId).ToList();
            var ids = trace.Select(s => s.SpanId).ToHashSet();
            Report.Line($"Trace {submit.TraceId}: {trace.Count} spans, " +
                string.Join(", ", trace.GroupBy(s => $"{s.Service}/{s.Name}").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}×{g.Count()}")));

            // Every span about one of the DAG's tasks, in either process, is in the submission's trace.
            var taskSpans = spans.Where(s => s.Attributes.TryGetValue("apex.task.id", out var id) && taskIds.Contains(id)).ToList();
            Assert.All(taskSpans, s => Assert.True(s.TraceId == submit.TraceId, $"{s.Service}/{s.Name} of task {s.Attributes["apex.task.id"]} is in trace {s.TraceId}."));
            foreach (var id in taskIds)
            {
                foreach (var (service, name) in new[] { ("apex-server", "apex.task.dispatch"), ("apex-worker", "apex.task.run"), ("apex-server", "apex.task.complete") })
                {
                    Assert.Contains(taskSpans, s => s.Service == service && s.Name == name && s.Attributes["apex.task.id"] == id);
                }
            }
            // The submit span hangs under the API request that carried it.
            Assert.Contains(trace, s => s.Service == "apex-server" && s.SpanId == submit.ParentSpanId && s.Name.StartsWith("POST", StringComparison.Ordinal));

            // The worker's spans are one tree with the server's: each parent is a span of the trace.
            var workerSpans = trace.Where(s => s.Service == "apex-worker").ToList();
            Assert.All(workerSpans, s => Assert.True(ids.Contains(s.ParentSpanId), $"Worker span {s.Name} has parent {s.ParentSpanId}, which is not in the trace."));
            var runs = workerSpans.Where(s => s.Name == "apex.task.run").ToList();
            Assert.All(runs, run => Assert.Contains(trace, s => s.SpanId == run.ParentSpanId && s.Service == "apex-server" && s.Name == "apex.task.dispatch"));

            // Each attempt's LLM call, recorded by the agent runtime inside the worker's run span.
            var runIds = runs.Select(r => r.SpanId).ToHashSet();
            var llmCalls = workerSpans.Where(s => s.Name.StartsWith("chat", StringComparison.Ordinal) && runIds.Contains(s.ParentSpanId)).ToList();
            Assert.True(llmCalls.Count >= taskIds.Count, $"{llmCalls.Count} LLM call spans under the worker's run spans, for {taskIds.Count} tasks.");
        }
        catch
        {
            cluster.DumpLogs();
            throw;
        }
    }

    /// <summary>
    /// The embedded mode (one process: SQLite, in-process workers) exporting OTLP: each task's run span is a child of the
    /// DAG's submit span, with the claim, the LLM call and the completion below it, all in the submission's trace.
    /// </summary>
    [Fact]
    public async Task SubmitDag_EmbeddedServerExportsOtlp_EachRunIsAChildOfTheSubmitSpan()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var receiver = OtlpTraceReceiver.Start();
        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        }, ct);
        using var client = server.CreateClient();

        var dag = await client.CreateDagAsync(Dag(Node("first", "Say one thing."), Node("second", "Build on: {{tasks.first.output}}", "first")), ct);
        var done = await client.WaitForDagAsync(dag.Id, TimeSpan.FromSeconds(30), ct);
        Assert.Equal(DagState.Succeeded, done.Status);
        var taskIds = (done.Tasks ?? dag.Tasks ?? []).Select(t => t.Id.ToString()).ToHashSet();

        var spans = await ApexHttp.PollAsync(() =>
        {
            var all = receiver.Spans;
            return Task.FromResult(taskIds.All(id => all.Any(s => s.Name == "apex.task.run" && s.Attributes.GetValueOrDefault("apex.task.id") == id)) ? all : null);
        }, SpanDeadline, ct);
        Assert.True(spans is not null, $"Not every task's run span arrived within {SpanDeadline}; received: {string.Join(", ", receiver.Spans.Select(s => s.Name))}");

        var submit = Assert.Single(spans, s => s.Name == "apex.dag.submit" && s.Attributes.GetValueOrDefault("apex.dag.id") == dag.Id.ToString());
        var runs = spans.Where(s => s.Name == "apex.task.run" && taskIds.Contains(s.Attributes.GetValueOrDefault("apex.task.id", ""))).ToList();
        Assert.Equal(taskIds.Count, runs.Count);
        foreach (var run in runs)
        {
            Assert.Equal(submit.TraceId, run.TraceId);
            Assert.Equal(submit.SpanId, run.ParentSpanId);
            foreach (var child in new[] { "apex.task.claim", "apex.task.complete" })
            {
                Assert.Contains(spans, s => s.Name == child && s.ParentSpanId == run.SpanId && s.TraceId == submit.TraceId);
            }
            Assert.Contains(spans, s => s.Name.StartsWith("chat", StringComparison.Ordinal) && s.ParentSpanId == run.SpanId);
        }
    }
}
