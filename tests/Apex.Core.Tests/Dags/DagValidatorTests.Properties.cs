using Apex.Contracts.Dags;
using Apex.Core.Dags;
using Apex.Core.Errors;
using Xunit;

namespace Apex.Core.Tests.Dags;

public sealed partial class DagValidatorTests
{
    [Fact]
    public void Validate_TenThousandSeededRandomGraphs_AgreesWithReferenceSort()
    {
        var accepted = 0;
        var rejected = 0;
        for (var seed = 0; seed < 10_000; seed++)
        {
            var random = new Random(seed);
            var (count, edges) = RandomGraph(random);
            var request = ToRequest(count, edges, random);
            var acyclic = IsAcyclic(count, edges);

            DagPlan? plan = null;
            ApexValidationException? error = null;
            try
            {
                plan = Validator.Validate(request);
            }
            catch (ApexValidationException e)
            {
                error = e;
            }

            if (acyclic)
            {
                Assert.True(plan is not null, $"seed {seed}: an acyclic graph was rejected with {error?.Code}: {error?.Message}");
                AssertTopologicalOrder(seed, count, edges, plan);
                accepted++;
            }
            else
            {
                var outcome = error?.Code ?? "a plan";
                Assert.True(error is not null && error.Code == DagErrorCodes.Cycle, $"seed {seed}: a cyclic graph gave {outcome}");
                AssertRealCycle(seed, edges, error.Nodes);
                rejected++;
            }
        }

        // Both outcomes must be exercised in volume, or the property says little.
        Assert.InRange(accepted, 2_000, 8_000);
        Assert.InRange(rejected, 2_000, 8_000);
    }

    /// <summary>
    /// Node i is "t{i}". An edge (from, to) means "to depends on from". Every graph starts as forward edges of a random
    /// ranking (acyclic by construction); three in five then get a few backward edges, which close a cycle only when
    /// a forward path already joins their ends.
    /// </summary>
    private static (int Count, HashSet<(int From, int To)> Edges) RandomGraph(Random random)
    {
        var count = random.Next(1, 41);
        var rank = Enumerable.Range(0, count).ToArray();
        random.Shuffle(rank);
        var density = random.NextDouble() * random.NextDouble();
        var edges = new HashSet<(int From, int To)>();
        for (var from = 0; from < count; from++)
        {
            for (var to = 0; to < count; to++)
            {
                if (rank[from] < rank[to] && random.NextDouble() < density)
                {
                    edges.Add((from, to));
                }
            }
        }
        if (count > 1 && random.Next(5) < 3)
        {
            for (var extra = random.Next(1, 2 + (count / 4)); extra > 0; extra--)
            {
                var from = random.Next(count);
                var to = random.Next(count - 1);
                to = to >= from ? to + 1 : to;
                edges.Add(rank[from] > rank[to] ? (from, to) : (to, from));
            }
        }
        return (count, edges);
    }

    /// <summary>Spreads the edges over depends_on and the edge list, in shuffled order, some of them twice.</summary>
    private static CreateDagRequest ToRequest(int count, HashSet<(int From, int To)> edges, Random random)
    {
        var dependsOn = Enumerable.Range(0, count).Select(_ => new List<string>()).ToArray();
        var edgeList = new List<DagEdgeSpec>();
        foreach (var (from, to) in edges)
        {
            var copies = random.Next(10) == 0 ? 2 : 1;
            for (var c = 0; c < copies; c++)
            {
                if (random.Next(2) == 0)
                {
                    dependsOn[to].Add($"t{from}");
                }
                else
                {
                    edgeList.Add(new DagEdgeSpec($"t{from}", $"t{to}"));
                }
            }
        }
        var tasks = Enumerable.Range(0, count)
            .Select(i => new DagTaskSpec { Id = $"t{i}", Instruction = "x", DependsOn = dependsOn[i] })
            .ToArray();
        random.Shuffle(tasks);
        return new CreateDagRequest { Tasks = [.. tasks], Dependencies = edgeList };
    }

    /// <summary>Reference: depth-first search with three colours; meeting a node still on the stack means a cycle.</summary>
    private static bool IsAcyclic(int count, HashSet<(int From, int To)> edges)
    {
        var successors = Enumerable.Range(0, count).Select(_ => new List<int>()).ToArray();
        foreach (var (from, to) in edges)
        {
            successors[from].Add(to);
        }
        var colour = new int[count]; // 0 unvisited, 1 on the stack, 2 done

        bool Visit(int v)
        {
            colour[v] = 1;
            foreach (var w in successors[v])
            {
                if (colour[w] == 1 || (colour[w] == 0 && !Visit(w)))
                {
                    return false;
                }
            }
            colour[v] = 2;
            return true;
        }

        return Enumerable.Range(0, count).All(v => colour[v] != 0 || Visit(v));
    }

    private static void AssertTopologicalOrder(int seed, int count, HashSet<(int From, int To)> edges, DagPlan plan)
    {
        Assert.Equal(count, plan.Nodes.Count);
        Assert.Equal(edges.Count, plan.EdgeCount);
        var node = plan.Nodes.Select(n => int.Parse(n.Key.AsSpan(1))).ToArray();
        Assert.Equal(Enumerable.Range(0, count), node.Order());
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(i, plan.Nodes[i].Index);
            foreach (var d in plan.Nodes[i].Dependencies)
            {
                Assert.True(d < i, $"seed {seed}: t{node[i]} at {i} depends on t{node[d]} at {d}");
            }
            var expected = edges.Where(e => e.To == node[i]).Select(e => e.From).Order();
            Assert.Equal(expected, plan.Nodes[i].Dependencies.Select(d => node[d]).Order());
        }
    }

    private static void AssertRealCycle(int seed, HashSet<(int From, int To)> edges, IReadOnlyList<string> nodes)
    {
        var cycle = nodes.Select(k => int.Parse(k.AsSpan(1))).ToArray();
        Assert.True(cycle.Length >= 2, $"seed {seed}: cycle [{string.Join(", ", nodes)}] is too short");
        Assert.Equal(cycle.Length, cycle.Distinct().Count());
        for (var i = 0; i < cycle.Length; i++)
        {
            var (from, to) = (cycle[i], cycle[(i + 1) % cycle.Length]);
            Assert.True(edges.Contains((from, to)), $"seed {seed}: reported cycle [{string.Join(", ", nodes)}] has no edge t{from} → t{to}");
        }
    }
}
