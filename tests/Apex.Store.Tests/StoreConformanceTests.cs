using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Core;
using Apex.Core.Dags;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tasks;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Apex.Store.Tests;

/// <summary>
/// What every <see cref="IApexStore"/> must do, run against each backend by a subclass. A behaviour the embedded and
/// the distributed store do not share is a bug in one of them.
/// </summary>
public abstract partial class StoreConformanceTests : IAsyncLifetime
{
    protected const string Tenant = Tenancy.DefaultTenant;
    protected const string Worker = "worker-1";

    protected static readonly DateTimeOffset Start = new(2030, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);

    protected FakeTimeProvider Time { get; } = new(Start);

    protected RecordingEventBus Bus { get; } = new();

    protected IApexStore Store { get; private set; } = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A new, empty store on <see cref="Time"/> and <see cref="Bus"/>, not initialized yet.</summary>
    protected abstract Task<IApexStore> CreateStoreAsync();

    public virtual async ValueTask InitializeAsync()
    {
        Store = await CreateStoreAsync();
        await Store.InitializeAsync(Ct);
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (Store is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }

    protected static NewTask Spec(string instruction = "Summarise the report.", int priority = 0, string agent = "default", int maxAttempts = 3,
        string tenant = Tenant, IReadOnlyDictionary<string, string>? metadata = null) => new()
        {
            TenantId = tenant,
            Id = Guid.CreateVersion7(),
            Name = "task",
            Instruction = instruction,
            Agent = agent,
            Priority = priority,
            MaxAttempts = maxAttempts,
            Limits = LimitPresets.Medium,
            Metadata = metadata,
        };

    protected async Task<TaskRecord> SubmitAsync(NewTask? spec = null)
    {
        var outcome = await Store.SubmitTasksAsync([spec ?? Spec()], null, Ct);
        return outcome.Tasks[0];
    }

    protected async Task<TaskRecord> RowAsync(Guid taskId, string tenant = Tenant) =>
        await Store.GetTaskAsync(tenant, taskId, Ct) ?? throw new InvalidOperationException($"Task {taskId} is missing.");

    protected Task<IReadOnlyList<StoredEvent>> EventsAsync(Guid taskId) => Store.GetEventsAsync(Tenant, EventTypes.Task, taskId, 0, 1_000, Ct);

    protected Task<IReadOnlyList<StoredEvent>> DagEventsAsync(Guid dagId) => Store.GetEventsAsync(Tenant, EventTypes.Dag, dagId, 0, 1_000, Ct);

    protected async Task<TaskRecord> ClaimAsync(Guid taskId)
    {
        var claimed = await Store.ClaimAsync(taskId, Worker, Ct);
        Assert.NotNull(claimed);
        return claimed;
    }

    protected Task<TransitionOutcome> CompleteAsync(Guid taskId, int attempt, AttemptOutcome outcome = AttemptOutcome.Succeeded, string? output = "done",
        TaskError? error = null, UsageDelta? usage = null, DateTimeOffset? retryAt = null, string tenant = Tenant, IApexStore? store = null) =>
        (store ?? Store).CompleteAsync(new AttemptResult
        {
            TenantId = tenant,
            TaskId = taskId,
            Attempt = attempt,
            Outcome = outcome,
            Output = outcome == AttemptOutcome.Succeeded ? output : null,
            Error = outcome == AttemptOutcome.Succeeded ? null : error ?? new TaskError("provider_error", "The provider failed."),
            Usage = usage ?? UsageDelta.None,
            RetryAt = retryAt,
        }, Ct);

    /// <summary>A validated DAG; each node is <c>key</c>, its instruction and the keys it depends on.</summary>
    protected static NewDag Dag(FailurePolicy policy, params (string Key, string Instruction, string[] DependsOn)[] nodes)
    {
        var plan = new DagValidator(new DagOptions()).Validate(new CreateDagRequest
        {
            Name = "dag",
            FailurePolicy = policy,
            Tasks = [.. nodes.Select(n => new DagTaskSpec { Id = n.Key, Instruction = n.Instruction, DependsOn = n.DependsOn.Length == 0 ? null : [.. n.DependsOn] })],
        });
        var tasks = new NewTask[plan.Nodes.Count];
        foreach (var node in plan.Nodes)
        {
            tasks[node.Index] = new NewTask
            {
                TenantId = Tenant,
                Id = Guid.CreateVersion7(),
                Name = node.Name,
                Instruction = node.Instruction,
                Agent = "default",
                Priority = plan.Priority,
                MaxAttempts = node.MaxAttempts ?? 3,
                Limits = LimitPresets.Resolve(node.Limits, plan.Limits),
            };
        }
        return new NewDag { TenantId = Tenant, Id = Guid.CreateVersion7(), Plan = plan, Tasks = tasks };
    }

    protected static (string Key, string Instruction, string[] DependsOn) Node(string key, string instruction, params string[] dependsOn) =>
        (key, instruction, dependsOn);

    protected async Task<Dictionary<string, TaskRecord>> DagRowsAsync(Guid dagId)
    {
        var rows = new Dictionary<string, TaskRecord>(StringComparer.Ordinal);
        foreach (var node in await Store.GetDagTasksAsync(Tenant, dagId, Ct))
        {
            rows[node.Key] = await RowAsync(node.Id);
        }
        return rows;
    }

    protected async Task<DagRecord> DagAsync(Guid dagId) =>
        await Store.GetDagAsync(Tenant, dagId, Ct) ?? throw new InvalidOperationException($"DAG {dagId} is missing.");

    protected static T Data<T>(StoredEvent e, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        System.Text.Json.JsonSerializer.Deserialize(e.Data, type)!;

    protected static string[] Types(IEnumerable<StoredEvent> events) => [.. events.Select(e => e.EventType)];

    /// <summary>The invariant of DESIGN §1.3: folding a task's events gives back its row.</summary>
    protected static void AssertFoldsToRow(TaskRecord row, IReadOnlyList<StoredEvent> events)
    {
        var folded = TaskProjection.Fold(events);
        Assert.NotNull(folded);
        Assert.Equal(row.Metadata?.OrderBy(p => p.Key, StringComparer.Ordinal), folded.Metadata?.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal(row with { Metadata = null }, folded with { Metadata = null });
        Assert.Equal(events.Count, row.Version);
    }
}
