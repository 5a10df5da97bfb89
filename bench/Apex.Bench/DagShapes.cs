using Apex.Contracts.Dags;

namespace Apex.Bench;

/// <summary>
/// The DAGs the validation benchmarks submit (here and in <c>bench/Apex.Micro</c>, which compiles this file too), each
/// instruction quoting its dependencies' outputs the way a user's would.
/// </summary>
internal static class DagShapes
{
    /// <summary>Each node depends on its predecessor and quotes its output.</summary>
    public static CreateDagRequest Chain(int n) => new()
    {
        Name = "chain",
        Tasks = [.. Enumerable.Range(0, n).Select(i => new DagTaskSpec
        {
            Id = $"t{i}",
            Instruction = i == 0 ? "start" : $"continue from {{{{tasks.t{i - 1}.output}}}}",
            DependsOn = i == 0 ? null : [$"t{i - 1}"],
        })],
    };

    /// <summary>Node i depends on up to <paramref name="edgesPerNode"/> random earlier nodes (fixed seed: the same DAG every run).</summary>
    public static CreateDagRequest Layered(int n, int edgesPerNode, int seed)
    {
        var random = new Random(seed);
        return new CreateDagRequest
        {
            Name = "layered",
            Tasks = [.. Enumerable.Range(0, n).Select(i => new DagTaskSpec
            {
                Id = $"t{i}",
                Instruction = "work",
                DependsOn = i == 0 ? null : [.. Enumerable.Range(0, Math.Min(i, edgesPerNode)).Select(_ => $"t{random.Next(i)}").Distinct()],
            })],
        };
    }

    /// <summary>One root, <paramref name="n"/> − 2 parallel tasks quoting it, one join after all of them (the load harness's DAG).</summary>
    public static CreateDagRequest FanOutFanIn(int n)
    {
        string[] middle = [.. Enumerable.Range(1, n - 2).Select(i => $"w{i}")];
        return new CreateDagRequest
        {
            Name = "fan-out-fan-in",
            Tasks =
            [
                new DagTaskSpec { Id = "root", Instruction = "Plan." },
                .. middle.Select(w => new DagTaskSpec { Id = w, Instruction = "Work on: {{tasks.root.output}}", DependsOn = ["root"] }),
                new DagTaskSpec { Id = "join", Instruction = "Join: {{tasks.w1.output}}", DependsOn = [.. middle] },
            ],
        };
    }
}
