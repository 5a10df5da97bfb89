using System.CommandLine;
using System.Diagnostics;
using Apex.Core.Dags;

namespace Apex.Bench;

/// <summary>Time to validate a 10,000-node DAG (a chain, and a layered random DAG with ~5 edges per node).</summary>
internal static class DagValidation
{
    public static Command Command()
    {
        var nodes = new Option<int>("--nodes") { DefaultValueFactory = _ => 10_000 };
        var runs = new Option<int>("--runs") { DefaultValueFactory = _ => 50 };
        var command = new Command("validate", "DAG validation time.") { nodes, runs };
        command.SetAction(parse => Run(parse.GetValue(nodes), parse.GetValue(runs)));
        return command;
    }

    private static int Run(int nodes, int runs)
    {
        var validator = new DagValidator(new DagOptions { MaxNodes = Math.Max(nodes, 10_000), MaxEdges = nodes * 10 });
        var chain = DagShapes.Chain(nodes);
        var layered = DagShapes.Layered(nodes, edgesPerNode: 5, seed: 42);
        Console.WriteLine($"Machine: {Machine.Describe()}");
        Console.WriteLine();
        Console.WriteLine("| DAG | Nodes | Edges | Median | p95 |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var (name, request) in new[] { ("chain", chain), ("layered random", layered) })
        {
            for (var i = 0; i < 5; i++)
            {
                validator.Validate(request); // warm-up: JIT and tiering
            }
            var times = new List<double>(runs);
            var edges = 0;
            for (var i = 0; i < runs; i++)
            {
                var start = Stopwatch.GetTimestamp();
                edges = validator.Validate(request).EdgeCount;
                times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            times.Sort();
            Console.WriteLine($"| {name} | {nodes:N0} | {edges:N0} | {Machine.Percentile(times, 50):N2} ms | {Machine.Percentile(times, 95):N2} ms |");
        }
        return 0;
    }
}
