using Apex.Bench;
using Apex.Contracts.Dags;
using Apex.Core.Dags;
using BenchmarkDotNet.Attributes;

namespace Apex.Micro;

/// <summary><see cref="DagValidator.Validate"/>: what every DAG submission pays before it touches the store.</summary>
[MemoryDiagnoser]
public class DagValidationBenchmarks
{
    private readonly DagValidator _validator = new(new DagOptions());
    private readonly CreateDagRequest _fanOutFanIn = DagShapes.FanOutFanIn(10);
    private readonly CreateDagRequest _chain = DagShapes.Chain(1_000);
    private readonly CreateDagRequest _layered = DagShapes.Layered(1_000, edgesPerNode: 5, seed: 42);

    /// <summary>1 → 8 → 1, each worker quoting the root and the join quoting one worker.</summary>
    [Benchmark]
    public DagPlan FanOutFanIn10() => _validator.Validate(_fanOutFanIn);

    /// <summary>999 edges, each instruction quoting its predecessor's output.</summary>
    [Benchmark]
    public DagPlan Chain1000() => _validator.Validate(_chain);

    /// <summary>About 5 dependencies a node on random earlier nodes (seed 42).</summary>
    [Benchmark]
    public DagPlan LayeredRandom1000() => _validator.Validate(_layered);
}
