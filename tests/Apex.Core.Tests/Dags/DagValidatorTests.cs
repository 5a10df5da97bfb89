using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Core.Dags;
using Apex.Core.Errors;
using Xunit;

namespace Apex.Core.Tests.Dags;

public sealed partial class DagValidatorTests
{
    private static readonly DagValidator Validator = new(new DagOptions());

    [Fact]
    public void Validate_TasksMissing_ThrowsEmpty()
    {
        var error = Assert.Throws<ApexValidationException>(() => Validator.Validate(new CreateDagRequest { Name = "d" }));

        Assert.Equal(DagErrorCodes.Empty, error.Code);
    }

    [Fact]
    public void Validate_TasksEmpty_ThrowsEmpty()
    {
        var error = Assert.Throws<ApexValidationException>(() => Validator.Validate(new CreateDagRequest { Tasks = [] }));

        Assert.Equal(DagErrorCodes.Empty, error.Code);
    }

    [Fact]
    public void Validate_OneNodeMoreThanDefaultMaxNodes_ThrowsTooLarge()
    {
        var tasks = Enumerable.Range(0, 10_001).Select(i => Spec($"n{i}")).ToList();

        var error = Assert.Throws<ApexValidationException>(() => Validator.Validate(new CreateDagRequest { Tasks = tasks }));

        Assert.Equal(DagErrorCodes.TooLarge, error.Code);
    }

    [Fact]
    public void Validate_MoreDistinctEdgesThanMaxEdges_ThrowsTooManyEdges()
    {
        var validator = new DagValidator(new DagOptions { MaxEdges = 1 });
        var request = new CreateDagRequest { Tasks = [Spec("a"), Spec("b"), Spec("c", "a", "b")] };

        var error = Assert.Throws<ApexValidationException>(() => validator.Validate(request));

        Assert.Equal(DagErrorCodes.TooManyEdges, error.Code);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("a/b")]
    [InlineData("tâche")]
    [InlineData("a{b}")]
    [InlineData("a\n")]
    public void Validate_InvalidTaskId_ThrowsInvalidTaskId(string? id)
    {
        var request = new CreateDagRequest { Tasks = [Spec("ok"), new DagTaskSpec { Id = id, Instruction = "x" }] };

        var error = Assert.Throws<ApexValidationException>(() => Validator.Validate(request));

        Assert.Equal(DagErrorCodes.InvalidTaskId, error.Code);
        Assert.Equal([id ?? "tasks[1]"], error.Nodes);
    }

    [Fact]
    public void Validate_TaskIdOf129Characters_ThrowsInvalidTaskId()
    {
        var request = new CreateDagRequest { Tasks = [Spec(new string('a', 129))] };

        var error = Assert.Throws<ApexValidationException>(() => Validator.Validate(request));

        Assert.Equal(DagErrorCodes.InvalidTaskId, error.Code);
    }

    [Fact]
    public void Validate_TaskIdOf128Characters_Accepted()
    {
        var id = new string('a', 128);

        var plan = Validator.Validate(new CreateDagRequest { Tasks = [Spec(id)] });

        Assert.Equal(id, Assert.Single(plan.Nodes).Key);
    }

    [Fact]
    public void Validate_DuplicateTaskId_ThrowsDuplicateTaskIdNamingIt()
    {
        var request = new CreateDagRequest { Tasks = [Spec("a"), Spec("b"), Spec("a")] };

        var error = Assert.Throws<ApexValidationException>(() => Validator.Validate(request));

        Assert.Equal(DagErrorCodes.DuplicateTaskId, error.Code);
        Assert.Equal(["a"], error.Nodes);
    }

    [Fact]
    public void Validate_DependsOnUnknownTask_ThrowsUnknownDependency()
    {
        var request = new CreateDagRequest { Tasks = [Spec("a"), Spec("b", "ghost")] };

        var error = Assert.Throws<ApexValidationException>(() => Validator.Validate(request));

        Assert.Equal(DagErrorCodes.UnknownDependency, error.Code);
    }

    [Theory]
    [InlineData("ghost", "a")]
    [InlineData("a", "ghost")]
    public void Validate_EdgeListNamesUnknownTask_ThrowsUnknownDependency(string from, string to)
    {
        var request = new CreateDagRequest { Tasks = [Spec("a")], Dependencies = [new DagEdgeSpec(from, to)] };

        var error = Assert.Throws<ApexValidationException>(() => Validator.Validate(request));

        Assert.Equal(DagErrorCodes.UnknownDependency, error.Code);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Validate_TaskDependsOnItself_ThrowsSelfDependency(bool viaEdgeList)
    {
        var request = viaEdgeList
            ? new CreateDagRequest { Tasks = [Spec("a"), Spec("b")], Dependencies = [new DagEdgeSpec("b", "b")] }
            : new CreateDagRequest { Tasks = [Spec("a"), Spec("b", "b")] };

        var error = Assert.Throws<ApexValidationException>(() => Validator.Validate(request));

        Assert.Equal(DagErrorCodes.SelfDependency, error.Code);
        Assert.Equal(["b"], error.Nodes);
    }

    [Fact]
    public void Validate_Cycle_ThrowsCycleListingOnlyItsMembersInRunOrder()
    {
        // "after" is listed first so that the search for a cycle starts outside it, downstream.
        var request = new CreateDagRequest
        {
            Tasks = [Spec("after", "c"), Spec("feeder"), Spec("a", "feeder", "c"), Spec("b", "a"), Spec("c", "b")],
        };

        var error = Assert.Throws<ApexValidationException>(() => Validator.Validate(request));

        Assert.Equal(DagErrorCodes.Cycle, error.Code);
        Assert.Equal(["a", "b", "c"], RotateTo(error.Nodes, "a"));
    }

    [Fact]
    public void Validate_CycleThroughEdgeList_ThrowsCycle()
    {
        var request = new CreateDagRequest
        {
            Tasks = [Spec("a"), Spec("b", "a")],
            Dependencies = [new DagEdgeSpec("b", "a")],
        };

        var error = Assert.Throws<ApexValidationException>(() => Validator.Validate(request));

        Assert.Equal(DagErrorCodes.Cycle, error.Code);
        Assert.Equal(["a", "b"], RotateTo(error.Nodes, "a"));
    }

    [Fact]
    public void Validate_TenThousandNodeRing_ThrowsCycleOfConsecutiveRingMembers()
    {
        const int Count = 10_000;
        var tasks = Enumerable.Range(0, Count).Select(i => Spec($"n{i}", $"n{(i + Count - 1) % Count}")).ToList();

        var error = Assert.Throws<ApexValidationException>(() => Validator.Validate(new CreateDagRequest { Tasks = tasks }));

        Assert.Equal(DagErrorCodes.Cycle, error.Code);
        Assert.NotEmpty(error.Nodes);
        for (var i = 1; i < error.Nodes.Count; i++)
        {
            var previous = int.Parse(error.Nodes[i - 1].AsSpan(1));
            Assert.Equal($"n{(previous + 1) % Count}", error.Nodes[i]);
        }
    }

    [Fact]
    public void Validate_ReferenceToUnknownTask_ThrowsUnknownOutputReference()
    {
        var request = new CreateDagRequest { Tasks = [Spec("a"), Spec("b", "a") with { Instruction = "Use {{tasks.ghost.output}}" }] };

        var error = Assert.Throws<ApexValidationException>(() => Validator.Validate(request));

        Assert.Equal(DagErrorCodes.UnknownOutputReference, error.Code);
    }

    [Fact]
    public void Validate_ReferenceToIndirectDependency_ThrowsOutputReferenceNotDependency()
    {
        var request = new CreateDagRequest
        {
            Tasks = [Spec("a"), Spec("b", "a"), Spec("c", "b") with { Instruction = "Use {{tasks.a.output}}" }],
        };

        var error = Assert.Throws<ApexValidationException>(() => Validator.Validate(request));

        Assert.Equal(DagErrorCodes.OutputReferenceNotDependency, error.Code);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Validate_MissingInstruction_ThrowsInvalidTaskWithFieldKey(string? instruction)
    {
        var request = new CreateDagRequest { Tasks = [Spec("a"), Spec("b", "a") with { Instruction = instruction }] };

        var error = Assert.Throws<ApexValidationException>(() => Validator.Validate(request));

        Assert.Equal(DagErrorCodes.InvalidTask, error.Code);
        Assert.Equal(["tasks[1].instruction"], error.Errors.Keys);
        Assert.Equal(["b"], error.Nodes);
    }

    [Theory]
    [InlineData("agent", "tasks[0].agent")]
    [InlineData("max_attempts", "tasks[0].max_attempts")]
    [InlineData("task_limits", "tasks[0].limits.token_limit")]
    [InlineData("dag_limits", "limits.cost_limit")]
    public void Validate_InvalidTaskField_ThrowsInvalidTaskWithFieldKey(string field, string expectedKey)
    {
        var spec = Spec("a");
        var request = field switch
        {
            "agent" => new CreateDagRequest { Tasks = [spec with { Agent = "no spaces allowed" }] },
            "max_attempts" => new CreateDagRequest { Tasks = [spec with { MaxAttempts = 0 }] },
            "task_limits" => new CreateDagRequest { Tasks = [spec with { Limits = new TaskLimits { TokenLimit = 0 } }] },
            _ => new CreateDagRequest { Tasks = [spec], Limits = new TaskLimits { CostLimit = -1m } },
        };

        var error = Assert.Throws<ApexValidationException>(() => Validator.Validate(request));

        Assert.Equal(DagErrorCodes.InvalidTask, error.Code);
        Assert.Equal([expectedKey], error.Errors.Keys);
    }

    [Fact]
    public void Validate_TenThousandNodeChainListedBackwards_AcceptedInChainOrder()
    {
        const int Count = 10_000;
        var tasks = Enumerable.Range(0, Count).Reverse()
            .Select(i => i == 0 ? Spec("n0") : Spec($"n{i}", $"n{i - 1}") with { Instruction = $"Continue {{{{tasks.n{i - 1}.output}}}}" })
            .ToList();

        var plan = Validator.Validate(new CreateDagRequest { Tasks = tasks });

        Assert.Equal(Count, plan.Nodes.Count);
        Assert.Equal(Count - 1, plan.EdgeCount);
        for (var i = 0; i < Count; i++)
        {
            Assert.Equal($"n{i}", plan.Nodes[i].Key);
            Assert.Equal(i == 0 ? [] : [i - 1], plan.Nodes[i].Dependencies);
        }
    }

    [Fact]
    public void Validate_DependentsListedBeforeDependencies_EveryDependencyComesFirst()
    {
        var request = new CreateDagRequest
        {
            Tasks = [Spec("join", "left", "right"), Spec("right"), Spec("left"), Spec("root")],
            Dependencies = [new DagEdgeSpec("root", "left"), new DagEdgeSpec("root", "right")],
        };

        var plan = Validator.Validate(request);

        var keyAt = plan.Nodes.Select(n => n.Key).ToList();
        Assert.Equal(["join", "left", "right", "root"], keyAt.Order(StringComparer.Ordinal));
        Assert.All(plan.Nodes, node =>
        {
            Assert.Equal(node, plan.Nodes[node.Index]);
            Assert.All(node.Dependencies, d => Assert.True(d < node.Index, $"{node.Key} comes before its dependency {keyAt[d]}"));
        });
        Assert.Equal(["left", "right"], plan.Nodes[keyAt.IndexOf("join")].Dependencies.Select(d => keyAt[d]).Order(StringComparer.Ordinal));
        Assert.Equal(["root"], plan.Nodes[keyAt.IndexOf("left")].Dependencies.Select(d => keyAt[d]));
    }

    [Fact]
    public void Validate_SameEdgeGivenThreeTimes_CountedOnceAgainstMaxEdges()
    {
        var validator = new DagValidator(new DagOptions { MaxEdges = 1 });
        var request = new CreateDagRequest
        {
            Tasks = [Spec("a"), Spec("b", "a", "a")],
            Dependencies = [new DagEdgeSpec("a", "b")],
        };

        var plan = validator.Validate(request);

        Assert.Equal(1, plan.EdgeCount);
        Assert.Equal([0], plan.Nodes[1].Dependencies);
    }

    [Fact]
    public void Validate_FanOutToTwentyAndBackIn_Accepted()
    {
        var middle = Enumerable.Range(0, 20).Select(i => $"m{i}").ToArray();
        var sink = Spec("sink", middle) with { Instruction = string.Concat(middle.Select(m => $"{{{{tasks.{m}.output}}}}\n")) };
        var request = new CreateDagRequest { Tasks = [sink, .. middle.Select(m => Spec(m, "root")), Spec("root")] };

        var plan = Validator.Validate(request);

        Assert.Equal(40, plan.EdgeCount);
        Assert.Equal("root", plan.Nodes[0].Key);
        Assert.Equal("sink", plan.Nodes[21].Key);
        Assert.Equal(Enumerable.Range(1, 20), plan.Nodes[21].Dependencies.Order());
        Assert.All(plan.Nodes.Skip(1).Take(20), n => Assert.Equal([0], n.Dependencies));
    }

    [Fact]
    public void Validate_ReferenceToDottedKey_ResolvesToWholeKey()
    {
        // "a" exists too, and is not a dependency: reading the reference as "a" would be rejected.
        var request = new CreateDagRequest
        {
            Tasks = [Spec("a"), Spec("a.b"), Spec("c", "a.b") with { Instruction = "Use {{tasks.a.b.output}}" }],
        };

        var plan = Validator.Validate(request);

        var c = plan.Nodes.Single(n => n.Key == "c");
        Assert.Equal("a.b", plan.Nodes[Assert.Single(c.Dependencies)].Key);
        Assert.Equal("Use {{tasks.a.b.output}}", c.Instruction);
    }

    [Fact]
    public void Validate_OptionalFieldsOmitted_UsesDefaults()
    {
        var plan = Validator.Validate(new CreateDagRequest { Tasks = [Spec("a")] });

        Assert.Equal("dag", plan.Name);
        Assert.Equal(FailurePolicy.FailFast, plan.FailurePolicy);
        Assert.Equal(0, plan.Priority);
        Assert.Equal("a", plan.Nodes[0].Name);
        Assert.Null(plan.Nodes[0].Agent);
    }

    private static DagTaskSpec Spec(string id, params string[] dependsOn) =>
        new() { Id = id, Instruction = $"Do {id}", DependsOn = [.. dependsOn] };

    /// <summary>A cycle has no first node; compare cycles from a fixed one.</summary>
    private static List<string> RotateTo(IReadOnlyList<string> cycle, string first)
    {
        var at = cycle.ToList().IndexOf(first);
        Assert.True(at >= 0, $"{first} is not in the reported cycle {string.Join(" → ", cycle)}");
        return [.. cycle.Skip(at), .. cycle.Take(at)];
    }
}
