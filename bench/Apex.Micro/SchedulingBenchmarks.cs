using Apex.Core;
using Apex.Core.Dags;
using Apex.Core.Storage;
using Apex.Engine.Dispatch;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;

namespace Apex.Micro;

/// <summary>
/// The embedded scheduling step once a task succeeded: its dependent's instruction rendered with the dependency's
/// output (as the store promotes it), then the in-process queue's dispatch decision (priority order, agent and tenant
/// slots) as a worker takes the item and frees its slot.
/// </summary>
[MemoryDiagnoser]
public class SchedulingBenchmarks
{
    private const string Instruction = "Review the draft below and list what is missing.\n\n{{tasks.draft.output}}\n\nKeep it short.";
    private static readonly string Lane = DispatchItem.Lane(Tenancy.DefaultTenant, "default");

    private readonly Dictionary<string, string?> _outputs = new(StringComparer.Ordinal) { ["draft"] = new string('x', 1_000) };
    private readonly DispatchItem _item = new(Guid.CreateVersion7(), 0, 0, Lane);
    private readonly DispatchItem[] _fanOut = [.. Enumerable.Range(0, 8).Select(i => new DispatchItem(Guid.CreateVersion7(), 0, i, Lane))];
    private ServiceProvider _services = null!;
    private InProcessTaskQueue _queue = null!;

    [GlobalSetup]
    public void Setup()
    {
        // The store is registered but never opened here: no database file is created.
        _services = EmbeddedServices.Build(Path.Combine(Path.GetTempPath(), "apex-micro-unused.db"));
        _queue = _services.GetRequiredService<InProcessTaskQueue>();
    }

    [GlobalCleanup]
    public ValueTask CleanupAsync() => _services.DisposeAsync();

    [Benchmark]
    public string RenderDependentInstruction() => InstructionTemplate.Render(Instruction, key => _outputs.GetValueOrDefault(key));

    /// <summary>Enqueue one ready item, take it (the slot check), release its slot: a worker's turn with no contention.</summary>
    [Benchmark]
    public async ValueTask<Guid> QueueRoundTrip()
    {
        _queue.Enqueue(_item);
        var taken = await _queue.DequeueAsync(CancellationToken.None);
        _queue.Release(taken.Agent);
        return taken.Id;
    }

    /// <summary>The eight dependents a fan-out's root made ready, dispatched together, all taken (the default agent runs 64 at once), then released.</summary>
    [Benchmark]
    public async ValueTask<int> FanOutDispatch8()
    {
        _queue.EnqueueRange(_fanOut);
        for (var i = 0; i < _fanOut.Length; i++)
        {
            await _queue.DequeueAsync(CancellationToken.None);
        }
        for (var i = 0; i < _fanOut.Length; i++)
        {
            _queue.Release(Lane);
        }
        return _queue.Count;
    }
}
