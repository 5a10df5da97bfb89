using System.Net.Http.Json;
using Apex.Contracts;
using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Tasks;

public abstract partial class TasksApiTests
{
    [Fact]
    public async Task OutputSchema_OfATask_IsStoredCarriedToTheWorkerAndHeldAgainstTheAnswer()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        using var schema = System.Text.Json.JsonDocument.Parse("""{"type":"object","required":["answer"]}""");

        // The simulated model answers in prose: the schema, carried to whichever worker runs the task, fails it.
        var created = await client.CreateTaskAsync(TaskRequest("Answer as JSON.") with { OutputSchema = schema.RootElement.Clone(), MaxAttempts = 1 }, ct);
        var done = await client.WaitForTaskAsync(created.Id, Deadline, ct);

        Assert.Equal("answer", created.OutputSchema!.Value.GetProperty("required")[0].GetString());
        Assert.Equal((TaskState.Failed, "invalid_output"), (done.Status, done.Error?.Code));
        Assert.Equal(created.OutputSchema.Value.GetRawText(), done.OutputSchema!.Value.GetRawText());
    }

    [Fact]
    public async Task OutputSchema_ThatDoesNotCompile_Is422AtTheFieldForTasksBatchesAndDagNodes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        using var broken = System.Text.Json.JsonDocument.Parse("""{"type":"no-such-type"}""");
        using var notObject = System.Text.Json.JsonDocument.Parse("[1]");
        var bad = TaskRequest("x") with { OutputSchema = broken.RootElement.Clone() };

        var single = await Problem.ReadAsync(await client.PostAsJsonAsync("/api/v1/tasks", bad, ApexJsonContext.Default.CreateTaskRequest, ct), ct);
        var array = await Problem.ReadAsync(await client.PostAsJsonAsync("/api/v1/tasks", TaskRequest("x") with { OutputSchema = notObject.RootElement.Clone() },
            ApexJsonContext.Default.CreateTaskRequest, ct), ct);
        var batch = await Problem.ReadAsync(await client.PostAsJsonAsync("/api/v1/tasks/batch", new CreateTaskBatchRequest { Tasks = [TaskRequest("ok"), bad] },
            ApexJsonContext.Default.CreateTaskBatchRequest, ct), ct);
        var dag = await Problem.ReadAsync(await client.PostAsJsonAsync("/api/v1/dags",
            Dag(Node("a", "x"), Node("b", "y", "a") with { OutputSchema = broken.RootElement.Clone() }), ApexJsonContext.Default.CreateDagRequest, ct), ct);

        Assert.Contains("output_schema", single.Errors.Keys);
        Assert.Contains("output_schema", array.Errors.Keys);
        Assert.Contains("tasks[1].output_schema", batch.Errors.Keys);
        Assert.Contains("tasks[1].output_schema", dag.Errors.Keys);
        var listed = await client.GetFromJsonAsync("/api/v1/tasks", ApexJsonContext.Default.PageTaskResponse, ct);
        Assert.Empty(listed!.Items); // nothing was created
    }

    [Fact]
    public async Task Contract_TokenLimitBelowOneCallsReservation_FailsTokenLimitExceededWithoutCalling()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;

        // One call reserves its prompt plus Apex:Contracts:DefaultMaxOutputTokens (1,024): 500 tokens never fit.
        var task = await client.CreateTaskAsync(TaskRequest("Write a long report.") with { Limits = new TaskLimits { TokenLimit = 500 } }, ct);
        var done = await client.WaitForTaskAsync(task.Id, Deadline, ct);

        Assert.Equal(TaskState.Failed, done.Status);
        Assert.Equal("token_limit_exceeded", done.Error?.Code);
        Assert.Equal(1, done.Attempt); // a violation is not retried
        Assert.Equal(new TaskUsage(), done.Usage);
    }

    [Fact]
    public async Task Contract_OneCallAllowed_RunsAndACostLimitBelowOneCall_FailsCostLimitExceeded()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;

        var ok = await client.WaitForTaskAsync((await client.CreateTaskAsync(
            TaskRequest("One call.") with { Limits = new TaskLimits { ApiCallLimit = 1 } }, ct)).Id, Deadline, ct);
        var none = await client.WaitForTaskAsync((await client.CreateTaskAsync(
            TaskRequest("No call.") with { Limits = new TaskLimits { CostLimit = 0.000001m } }, ct)).Id, Deadline, ct);

        Assert.Equal((TaskState.Succeeded, 1), (ok.Status, ok.Usage.ApiCalls));
        Assert.Equal((TaskState.Failed, "cost_limit_exceeded", 0), (none.Status, none.Error?.Code, none.Usage.ApiCalls));
    }

    [Fact]
    public async Task Contract_DagBudget_SharedByFiftyParallelTasks_OverspendsByAtMostOneReservation()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        // Fifty tasks at once against 2,500 tokens: each call reserves its prompt plus 1,024 output tokens from the DAG's
        // budget, so only two fit at a time and the rest are refused before they call.
        var nodes = Enumerable.Range(0, 50).Select(i => Node($"t{i}", $"Part {i}. [[simulate:delay=200]]")).ToArray();
        var dag = await client.CreateDagAsync(Dag(FailurePolicy.Continue, nodes) with { Limits = new TaskLimits { TokenLimit = 2_500 } }, ct);
        await client.WaitForDagAsync(dag.Id, Deadline, ct);

        var tasks = await Task.WhenAll(dag.Tasks!.Select(t => client.GetTaskAsync(t.Id, ct)));
        var spent = tasks.Sum(t => t.Usage.InputTokens + t.Usage.OutputTokens);
        Assert.InRange(spent, 1, 2_500 + 1_100);
        Assert.Contains(tasks, t => t.Status == TaskState.Succeeded);
        Assert.Contains(tasks, t => t.Error?.Code == "token_limit_exceeded");
        Assert.All(tasks.Where(t => t.Status == TaskState.Failed), t => Assert.Equal(0, t.Usage.ApiCalls));
        Assert.All(tasks, t => Assert.True(t.Limits.TokenLimit <= 2_500, "a task is allowed no more than its DAG"));
    }

    [Fact]
    public async Task Contract_DagTaskAskingForMoreThanItsDag_Is422()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();

        var problem = await Problem.ReadAsync(await server.Client.PostAsJsonAsync("/api/v1/dags",
            Dag(Node("a", "A.") with { Limits = new TaskLimits { TokenLimit = 5_000 } }) with { Limits = new TaskLimits { TokenLimit = 1_000 } },
            ApexJsonContext.Default.CreateDagRequest, ct), ct);

        Assert.Equal(System.Net.HttpStatusCode.UnprocessableEntity, problem.Status);
        Assert.Contains("tasks[0].limits.token_limit", problem.Errors.Keys);
    }
}
