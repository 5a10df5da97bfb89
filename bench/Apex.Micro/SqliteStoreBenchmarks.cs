using Apex.Contracts.Dags;
using Apex.Core;
using Apex.Core.Dags;
using Apex.Core.Storage;
using Apex.Core.Tasks;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;

namespace Apex.Micro;

/// <summary>
/// The embedded store's writes on the hot path, in a temporary database file: one group commit each (a lone writer,
/// so a group of one), <c>synchronous=OFF</c> so that the figures are the store's and SQLite's work, not the disk's fsync.
/// </summary>
/// <remarks>
/// A fixed invocation count: each invocation of <see cref="CompleteRootPromotesDependent"/> consumes a DAG prepared by
/// the iteration setup, which must know how many to prepare.
/// </remarks>
[MemoryDiagnoser]
[InvocationCount(Invocations)]
public class SqliteStoreBenchmarks
{
    private const int Invocations = 512;
    private const string Worker = "micro";

    private readonly Queue<Guid> _claimedRoots = new(Invocations);
    private DirectoryInfo _directory = null!;
    private ServiceProvider _services = null!;
    private IApexStore _store = null!;
    private DagPlan _plan = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _directory = Directory.CreateTempSubdirectory("apex-micro-");
        _services = EmbeddedServices.Build(Path.Combine(_directory.FullName, "apex.db"));
        _store = _services.GetRequiredService<IApexStore>();
        await _store.InitializeAsync();
        _plan = _services.GetRequiredService<DagValidator>().Validate(new CreateDagRequest
        {
            Name = "pair",
            Tasks =
            [
                new DagTaskSpec { Id = "draft", Instruction = "Draft a release note." },
                new DagTaskSpec { Id = "review", Instruction = "Review this draft:\n\n{{tasks.draft.output}}", DependsOn = ["draft"] },
            ],
        });
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _services.DisposeAsync();
        _directory.Delete(recursive: true);
    }

    /// <summary>A standalone task submitted (queued) and claimed (running): what every task costs the store before it runs.</summary>
    [Benchmark]
    public async Task<int> SubmitAndClaim()
    {
        var outcome = await _store.SubmitTasksAsync([Spec(Guid.CreateVersion7(), "Summarise the report.")], null);
        var claimed = await _store.ClaimAsync(outcome.Ids[0], Worker) ?? throw new InvalidOperationException("The task just submitted could not be claimed.");
        return claimed.Attempt;
    }

    [IterationSetup(Target = nameof(CompleteRootPromotesDependent))]
    public void SubmitDagsAndClaimRoots()
    {
        for (var i = 0; i < Invocations; i++)
        {
            var dag = new NewDag
            {
                TenantId = Tenancy.DefaultTenant,
                Id = Guid.CreateVersion7(),
                Plan = _plan,
                Tasks = [.. _plan.Nodes.Select(node => Spec(Guid.CreateVersion7(), node.Instruction))],
            };
            // BenchmarkDotNet runs an iteration setup synchronously; there is no synchronization context to deadlock on.
            _store.SubmitDagAsync(dag, null).GetAwaiter().GetResult();
            var root = dag.Tasks[0].Id;
            _ = _store.ClaimAsync(root, Worker).GetAwaiter().GetResult() ?? throw new InvalidOperationException("A DAG root could not be claimed.");
            _claimedRoots.Enqueue(root);
        }
    }

    /// <summary>
    /// The scheduling step of a DAG: its root succeeds, and in the same commit its dependent is found ready, its
    /// instruction rendered with the root's output, and queued (returned for dispatch).
    /// </summary>
    [Benchmark]
    public async Task<int> CompleteRootPromotesDependent()
    {
        var outcome = await _store.CompleteAsync(new AttemptResult
        {
            TenantId = Tenancy.DefaultTenant,
            TaskId = _claimedRoots.Dequeue(),
            Attempt = 1,
            Outcome = AttemptOutcome.Succeeded,
            Output = "Apex 0.2 adds DAG budgets and faster dispatch.",
        });
        return outcome.Dispatch.Count == 1 ? 1 : throw new InvalidOperationException($"Expected one dependent dispatched, got {outcome.Dispatch.Count}.");
    }

    private static NewTask Spec(Guid id, string instruction) => new()
    {
        TenantId = Tenancy.DefaultTenant,
        Id = id,
        Name = "task",
        Instruction = instruction,
        Agent = "default",
        MaxAttempts = 3,
        Limits = LimitPresets.Medium,
    };
}
