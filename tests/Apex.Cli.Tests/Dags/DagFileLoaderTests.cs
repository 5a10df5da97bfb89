using System.Text.Json;
using Apex.Cli.Dags;
using Apex.Contracts.Dags;
using Apex.Contracts;
using Apex.Core.Dags;
using Xunit;

namespace Apex.Cli.Tests.Dags;

public sealed class DagFileLoaderTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Examples.YamlFiles), MemberType = typeof(Examples))]
    public async Task LoadAsync_Example_IsAValidDag(string name)
    {
        var request = await DagFileLoader.LoadAsync(Examples.File(name), Token);

        var plan = new DagValidator(new DagOptions()).Validate(request);

        Assert.Equal(request.Tasks!.Count, plan.Nodes.Count);
    }

    [Theory]
    [MemberData(nameof(Examples.YamlFiles), MemberType = typeof(Examples))]
    public async Task LoadAsync_ExampleWrittenAsJson_GivesTheSameRequest(string name)
    {
        using var temp = new TempDirectory();
        var fromYaml = await DagFileLoader.LoadAsync(Examples.File(name), Token);
        var json = temp.Write(Path.ChangeExtension(name, ".json"), JsonSerializer.Serialize(fromYaml, ApexJsonContext.Default.CreateDagRequest));

        var fromJson = await DagFileLoader.LoadAsync(json, Token);

        Assert.Equal(Canonical(fromYaml), Canonical(fromJson));
    }

    [Fact]
    public async Task LoadAsync_ResearchPipelineYamlAndJson_AreTheSameDag()
    {
        var yaml = await DagFileLoader.LoadAsync(Examples.File("research-pipeline.yaml"), Token);
        var json = await DagFileLoader.LoadAsync(Examples.File("research-pipeline.json"), Token);

        Assert.Equal(Canonical(yaml), Canonical(json));
        Assert.Equal("research-pipeline", yaml.Name);
        Assert.Equal(FailurePolicy.FailFast, yaml.FailurePolicy);
        Assert.Equal(20_000, yaml.Limits!.TokenLimit);
        Assert.Equal(0.25m, yaml.Limits.CostLimit);
        Assert.Equal(["research", "analyze", "report"], yaml.Tasks!.Select(t => t.Id));
        Assert.Equal(["research"], yaml.Tasks![1].DependsOn!);
        Assert.Contains("{{tasks.research.output}}", yaml.Tasks[1].Instruction!, StringComparison.Ordinal);
        Assert.Contains("{{tasks.analyze.output}}", yaml.Tasks[2].Instruction, StringComparison.Ordinal);
        Assert.Equal(8_000, yaml.Tasks[2].Limits!.TokenLimit);
    }

    [Fact]
    public async Task LoadAsync_FanOutFanIn_HasOnePlanTwentyWorkersAndAMergeAfterAllOfThem()
    {
        var request = await DagFileLoader.LoadAsync(Examples.File("fan-out-fan-in.yaml"), Token);

        Assert.Equal(22, request.Tasks!.Count);
        var workers = request.Tasks.Where(t => t.Id!.StartsWith("worker-", StringComparison.Ordinal)).ToList();
        Assert.Equal(20, workers.Count);
        Assert.All(workers, w => Assert.Equal(["plan"], w.DependsOn!));
        Assert.Equal(workers.Select(w => w.Id), request.Dependencies!.Where(e => e.To == "merge").Select(e => e.From));
        Assert.Contains("{{tasks.worker-20.output}}", request.Tasks.Single(t => t.Id == "merge").Instruction, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAsync_FailFast_HasASingleAttemptFailingTaskAndAnIndependentSibling()
    {
        var request = await DagFileLoader.LoadAsync(Examples.File("fail-fast.yaml"), Token);

        Assert.Equal(FailurePolicy.FailFast, request.FailurePolicy);
        var extract = request.Tasks!.Single(t => t.Id == "extract");
        Assert.Equal(1, extract.MaxAttempts);
        Assert.Contains("[[simulate:error]]", extract.Instruction, StringComparison.Ordinal);
        Assert.Null(request.Tasks!.Single(t => t.Id == "audit").DependsOn);
    }

    [Fact]
    public void Parse_MalformedYaml_NamesTheFileAndTheLine()
    {
        const string yaml = """
            name: broken
            tasks:
              - id: a
                instruction: one
               - id: b
            """;

        var e = Assert.Throws<DagFileException>(() => DagFileLoader.Parse(yaml, DagFileFormat.Yaml, "broken.yaml"));

        Assert.StartsWith("broken.yaml: line 5, column ", e.Message, StringComparison.Ordinal);
        Assert.Contains("invalid YAML", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_YamlEndingInsideABracket_IsAFileErrorNotACrash()
    {
        var e = Assert.Throws<DagFileException>(() =>
            DagFileLoader.Parse("tasks:\n  - id: a\n    instruction: [never closed\n  - id: b", DagFileFormat.Yaml, "broken.yaml"));

        Assert.Equal("broken.yaml: invalid YAML: the file ends inside an unclosed '[', '{' or quote.", e.Message);
    }

    [Fact]
    public void Parse_MisspelledField_SuggestsTheRightOneAtItsLine()
    {
        const string yaml = """
            tasks:
              - id: a
                instruction: one
              - id: b
                instruction: two
                depend_on: [a]
            """;

        var e = Assert.Throws<DagFileException>(() => DagFileLoader.Parse(yaml, DagFileFormat.Yaml, "dag.yaml"));

        Assert.Equal("dag.yaml: line 6, column 5 (tasks[1].depend_on): unknown field 'depend_on'; did you mean 'depends_on'?", e.Message);
    }

    [Fact]
    public void Parse_SeveralProblems_ReportsEachOne()
    {
        const string yaml = """
            failure_policy: fast
            tasks:
              - id: a
                instruction: one
                max_attempts: three
                limits: { token_limit: lots }
            """;

        var e = Assert.Throws<DagFileException>(() => DagFileLoader.Parse(yaml, DagFileFormat.Yaml, "dag.yaml"));

        Assert.Equal(
            [
                "line 1, column 1 (failure_policy): expected one of fail_fast, continue, got 'fast'.",
                "line 5, column 5 (tasks[0].max_attempts): expected a whole number, got 'three'.",
                "line 6, column 15 (tasks[0].limits.token_limit): expected a whole number, got 'lots'.",
            ],
            e.Problems);
        Assert.StartsWith("dag.yaml: 3 problems:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_YamlScalars_AreTypedByTheirField()
    {
        const string yaml = """
            name: 1.10
            priority: "5"
            metadata:
              version: 2
              enabled: true
            tasks:
              - id: 007
                instruction: yes
                max_attempts: "3"
                agent: ~
            """;

        var request = DagFileLoader.Parse(yaml, DagFileFormat.Yaml, "dag.yaml");

        Assert.Equal("1.10", request.Name);
        Assert.Equal(5, request.Priority);
        Assert.Equal(new Dictionary<string, string> { ["version"] = "2", ["enabled"] = "true" }, request.Metadata);
        var task = Assert.Single(request.Tasks!);
        Assert.Equal("007", task.Id);
        Assert.Equal("yes", task.Instruction);
        Assert.Equal(3, task.MaxAttempts);
        Assert.Null(task.Agent);
    }

    [Fact]
    public void Parse_FailurePolicy_AcceptsEitherSpelling()
    {
        var request = DagFileLoader.Parse("failure_policy: Continue\ntasks: []", DagFileFormat.Yaml, "dag.yaml");

        Assert.Equal(FailurePolicy.Continue, request.FailurePolicy);
    }

    [Fact]
    public void Parse_MalformedJson_NamesTheLine()
    {
        const string json = """
            {
              "name": "x",
              "tasks": [ { "id": "a", } ]
              "failure_policy": "continue"
            }
            """;

        var e = Assert.Throws<DagFileException>(() => DagFileLoader.Parse(json, DagFileFormat.Json, "dag.json"));

        Assert.StartsWith("dag.json: line 4, column 3: invalid JSON", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_JsonUnknownField_NamesItsPath()
    {
        var e = Assert.Throws<DagFileException>(() =>
            DagFileLoader.Parse("""{"tasks": [{"id": "a", "instructions": "x"}]}""", DagFileFormat.Json, "dag.json"));

        Assert.Equal("dag.json: tasks[0].instructions: unknown field 'instructions'; did you mean 'instruction'?", e.Message);
    }

    [Theory]
    [InlineData("", "dag.yaml", "dag.yaml: the file is empty.")]
    [InlineData("   ", "dag.json", "dag.json: the file is empty.")]
    [InlineData("- a\n- b", "dag.yaml", "dag.yaml: the file must hold a mapping with the DAG's fields (name, tasks, ...) at the top level.")]
    [InlineData("name: a\n---\nname: b", "dag.yaml", "dag.yaml: line 3, column 1: the file holds 2 YAML documents; a DAG file holds one.")]
    [InlineData("[1, 2]", "dag.json", "dag.json: the file must hold a JSON object with the DAG's fields (name, tasks, ...).")]
    public void Parse_NotADag_SaysWhy(string text, string source, string message)
    {
        var format = DagFileLoader.DetectFormat(source, text);

        var e = Assert.Throws<DagFileException>(() => DagFileLoader.Parse(text, format, source));

        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Parse_SelfReferencingAliases_AreRejectedNotLoopedOn()
    {
        const string yaml = """
            a: &a [x, x, x, x, x, x, x, x, x, x]
            b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
            c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
            d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
            e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
            f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
            g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
            """;

        var e = Assert.Throws<DagFileException>(() => DagFileLoader.Parse(yaml, DagFileFormat.Yaml, "bomb.yaml"));

        Assert.Contains("YAML nodes once aliases are expanded", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAsync_MissingFile_SaysSo()
    {
        var e = await Assert.ThrowsAsync<DagFileException>(() => DagFileLoader.LoadAsync(new FileInfo("no/such/dag.yaml"), Token));

        Assert.Equal("no/such/dag.yaml: no such file.", e.Message);
    }

    [Theory]
    [InlineData("dag.yml", "name: a", "Yaml")]
    [InlineData("dag.JSON", "name: a", "Json")]
    [InlineData("dag", "\n  {\"name\": \"a\"}", "Json")]
    [InlineData("dag.txt", "name: a", "Yaml")]
    public void DetectFormat_UsesTheExtensionElseTheContent(string fileName, string text, string expected) =>
        Assert.Equal(Enum.Parse<DagFileFormat>(expected), DagFileLoader.DetectFormat(fileName, text));

    private static string Canonical(CreateDagRequest request) => JsonSerializer.Serialize(request, ApexJsonContext.Default.CreateDagRequest);
}
