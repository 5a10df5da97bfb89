using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Core;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tasks;
using Apex.Server.Tests.Conformance;
using Apex.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Tasks;

public abstract partial class TasksApiTests
{
    [Fact]
    public async Task GetEvents_FoldedForEveryTaskOfAFinishedDag_ReproducesTheStoredRow()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync(new Dictionary<string, string?> { ["Apex:Retry:BaseDelay"] = "00:00:00.050" });
        var client = server.Client;
        var request = Dag(FailurePolicy.Continue,
            Node("research", "Research the field."),
            Node("analyze", "Analyze {{tasks.research.output}}.", "research"),
            Node("slowpoke", "Too slow for its contract. [[simulate:delay=3000]]") with { MaxAttempts = 2, Limits = new TaskLimits { TimeLimitSeconds = 1 } },
            Node("after_slowpoke", "Use {{tasks.slowpoke.output}}.", "slowpoke"),
            Node("broken", "Break. [[simulate:error]]") with { MaxAttempts = 1 });
        var created = await client.CreateDagAsync(request, ct);
        var dag = await client.WaitForDagAsync(created.Id, Deadline, ct);
        await server.WaitForIdleAsync(Deadline, ct);

        var slowpoke = await client.GetTaskAsync(dag.Tasks!.Single(t => t.Key == "slowpoke").Id, ct);
        Assert.Equal(TaskState.Failed, slowpoke.Status);
        Assert.Equal("timeout", slowpoke.Error?.Code);
        Assert.Equal(2, slowpoke.Attempt);
        Assert.Contains(await client.GetTaskEventsAsync(slowpoke.Id, ct), e => e.EventType == EventTypes.TaskRetryScheduled);
        var statuses = dag.Tasks!.ToDictionary(t => t.Key, t => t.Status);
        Assert.Equal(TaskState.Succeeded, statuses["research"]);
        Assert.Equal(TaskState.Succeeded, statuses["analyze"]);
        Assert.Equal(TaskState.Skipped, statuses["after_slowpoke"]);
        Assert.Equal(TaskState.Failed, statuses["broken"]);
        foreach (var task in dag.Tasks!)
        {
            await AssertFoldReproducesRowAsync(server, task.Id, ct);
        }
    }

    [Fact]
    public async Task GetEvents_FoldedForRetriedCancelledAndLabelledTasks_ReproducesTheStoredRow()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        var labelled = await client.CreateTaskAsync(TaskRequest("Labelled.") with { Metadata = new() { ["team"] = "ops", ["env"] = "test" } }, ct);
        var retried = await client.CreateTaskAsync(TaskRequest("Fail. [[simulate:error]]") with { MaxAttempts = 1, Metadata = new() { ["k"] = "v" } }, ct);
        var cancelled = await client.CreateTaskAsync(TaskRequest("Slow. [[simulate:delay=30000]]"), ct);
        await client.WaitForTaskAsync(retried.Id, Deadline, ct);
        (await client.PostAsync($"/api/v1/tasks/{retried.Id}/retry", null, ct)).EnsureSuccessStatusCode();
        await server.WaitForRunningAsync(cancelled.Id, Deadline, ct);
        (await client.PostAsync($"/api/v1/tasks/{cancelled.Id}/cancel", null, ct)).EnsureSuccessStatusCode();
        await server.WaitForIdleAsync(Deadline, ct);
        Assert.Equal(2, (await client.GetTaskAsync(retried.Id, ct)).Attempt);

        foreach (var id in new[] { labelled.Id, retried.Id, cancelled.Id })
        {
            await AssertFoldReproducesRowAsync(server, id, ct);
        }
    }

    /// <summary>Folds the task's history as the API serves it and compares the result with the store's row, field by field.</summary>
    private static async Task AssertFoldReproducesRowAsync(BackendServer server, Guid taskId, CancellationToken cancellationToken)
    {
        var client = server.Client;
        var history = await client.GetTaskEventsAsync(taskId, cancellationToken);
        var folded = TaskProjection.Fold(history.Select(e => new StoredEvent
        {
            Seq = e.Seq,
            TenantId = Tenancy.DefaultTenant,
            AggregateType = EventTypes.Task,
            AggregateId = taskId,
            Version = e.Version,
            EventType = e.EventType,
            Data = e.Data.GetRawText(),
            CreatedAt = e.CreatedAt,
        }));
        var row = await server.Services.GetRequiredService<IApexStore>().GetTaskAsync(Tenancy.DefaultTenant, taskId, cancellationToken);

        Assert.NotNull(folded);
        Assert.NotNull(row);
        var mismatches = Compare(row, folded).Where(f => !Equals(f.Row, f.Folded)).Select(f => $"{f.Field}: row={f.Row ?? "null"} folded={f.Folded ?? "null"}").ToList();
        Assert.True(mismatches.Count == 0,
            $"Task {row.Key ?? row.Name} ({row.Status}, events {string.Join(" ", history.Select(e => e.EventType))}) differs from its fold:\n{string.Join("\n", mismatches)}");
        Assert.Equal(row.Metadata?.OrderBy(p => p.Key, StringComparer.Ordinal), folded.Metadata?.OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    private static IEnumerable<(string Field, object? Row, object? Folded)> Compare(TaskRecord row, TaskRecord folded) =>
    [
        (nameof(row.TenantId), row.TenantId, folded.TenantId),
        (nameof(row.Id), row.Id, folded.Id),
        (nameof(row.DagId), row.DagId, folded.DagId),
        (nameof(row.Key), row.Key, folded.Key),
        (nameof(row.Name), row.Name, folded.Name),
        (nameof(row.Instruction), row.Instruction, folded.Instruction),
        (nameof(row.Agent), row.Agent, folded.Agent),
        (nameof(row.Status), row.Status, folded.Status),
        (nameof(row.Priority), row.Priority, folded.Priority),
        (nameof(row.Attempt), row.Attempt, folded.Attempt),
        (nameof(row.MaxAttempts), row.MaxAttempts, folded.MaxAttempts),
        (nameof(row.Output), row.Output, folded.Output),
        (nameof(row.ErrorCode), row.ErrorCode, folded.ErrorCode),
        (nameof(row.ErrorMessage), row.ErrorMessage, folded.ErrorMessage),
        (nameof(row.InputTokens), row.InputTokens, folded.InputTokens),
        (nameof(row.OutputTokens), row.OutputTokens, folded.OutputTokens),
        (nameof(row.CostUsd), row.CostUsd, folded.CostUsd),
        (nameof(row.ApiCalls), row.ApiCalls, folded.ApiCalls),
        (nameof(row.Limits), row.Limits, folded.Limits),
        (nameof(row.CreatedAt), row.CreatedAt, folded.CreatedAt),
        (nameof(row.RunAt), row.RunAt, folded.RunAt),
        (nameof(row.StartedAt), row.StartedAt, folded.StartedAt),
        (nameof(row.FinishedAt), row.FinishedAt, folded.FinishedAt),
        (nameof(row.Version), row.Version, folded.Version),
    ];
}
