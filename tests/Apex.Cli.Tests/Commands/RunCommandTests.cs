using Xunit;

namespace Apex.Cli.Tests.Commands;

public sealed class RunCommandTests
{
    private const string NoLatency = "Apex:Simulated:LatencyMs=0";

    [Fact]
    public async Task Run_ResearchPipeline_SucceedsAndPrintsEachOutput()
    {
        var (exitCode, output, error) = await CliRunner.InvokeAsync("run", Examples.File("research-pipeline.yaml").FullName, "--set", NoLatency);

        Assert.Equal(0, exitCode);
        Assert.Empty(error);
        var lines = output.Split('\n');
        // One plain line per change, in order: research runs and succeeds before analyze is queued.
        var researchDone = Array.FindIndex(lines, l => l.Contains("research  succeeded", StringComparison.Ordinal));
        var analyzeQueued = Array.FindIndex(lines, l => l.Contains("analyze   queued", StringComparison.Ordinal));
        Assert.InRange(researchDone, 0, analyzeQueued - 1);
        Assert.Contains(lines, l => l.Contains("report    succeeded", StringComparison.Ordinal));
        Assert.Contains("[simulated]", output, StringComparison.Ordinal);
        Assert.Contains("DAG research-pipeline succeeded in", output, StringComparison.Ordinal);
        Assert.Contains("3 succeeded", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_FailFast_ExitsOneAndSkipsTheDependents()
    {
        var (exitCode, output, _) = await CliRunner.InvokeAsync("run", Examples.File("fail-fast.yaml").FullName, "--set", NoLatency);

        Assert.Equal(1, exitCode);
        Assert.Contains("extract    failed", output, StringComparison.Ordinal);
        Assert.Contains("transform  skipped", output, StringComparison.Ordinal);
        Assert.Contains("load       skipped", output, StringComparison.Ordinal);
        Assert.Contains("audit      cancelled", output, StringComparison.Ordinal);
        Assert.Contains("DAG fail-fast failed in", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_FanOutFanIn_RunsAllTwentyTwoTasks()
    {
        var (exitCode, output, _) = await CliRunner.InvokeAsync("run", Examples.File("fan-out-fan-in.yaml").FullName, "--set", NoLatency, "--output-chars", "0");

        Assert.Equal(0, exitCode);
        Assert.Contains("22 succeeded", output, StringComparison.Ordinal);
        Assert.DoesNotContain("[simulated]", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_CyclicDag_ExitsTwoWithTheCodeAndTheNodes()
    {
        using var temp = new TempDirectory();
        var file = temp.Write("cycle.yaml", """
            tasks:
              - { id: a, instruction: one, depends_on: [c] }
              - { id: b, instruction: two, depends_on: [a] }
              - { id: c, instruction: three, depends_on: [b] }
            """);

        var (exitCode, _, error) = await CliRunner.InvokeAsync("run", file.FullName);

        Assert.Equal(2, exitCode);
        Assert.Contains("error: dag_cycle:", error, StringComparison.Ordinal);
        Assert.Contains("nodes: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_MalformedFile_ExitsTwoNamingTheFile()
    {
        using var temp = new TempDirectory();
        var file = temp.Write("bad.yaml", "tasks:\n  - id: a\n    instruction: [oops\n");

        var (exitCode, output, error) = await CliRunner.InvokeAsync("run", file.FullName);

        Assert.Equal(2, exitCode);
        Assert.Empty(output);
        Assert.Contains($"error: {file.FullName}: line ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WithData_KeepsTheDatabase()
    {
        using var temp = new TempDirectory();

        var (exitCode, output, _) = await CliRunner.InvokeAsync(
            "run", Examples.File("research-pipeline.json").FullName, "--data", temp.Path, "--set", NoLatency);

        Assert.Equal(0, exitCode);
        Assert.True(File.Exists(Path.Combine(temp.Path, "apex.db")));
        Assert.Contains("Database kept in", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_LiveDisplay_EndsWithTheFinalTable()
    {
        var (exitCode, output, _) = await CliRunner.InvokeAsync(live: true, "run", Examples.File("research-pipeline.yaml").FullName, "--set", NoLatency);

        Assert.Equal(0, exitCode);
        Assert.Contains("│ report", output, StringComparison.Ordinal);
        Assert.Contains("DAG research-pipeline succeeded in", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("run")]
    [InlineData("run", "dag.yaml", "--no-such-option")]
    [InlineData("run", "dag.yaml", "--set", "no-equals-sign")]
    [InlineData("status", "not-a-guid")]
    public async Task Run_BadArguments_ExitTwo(params string[] args)
    {
        using var temp = new TempDirectory();
        temp.Write("dag.yaml", "tasks:\n  - { id: a, instruction: one }\n");
        var resolved = args.Select(a => a == "dag.yaml" ? Path.Combine(temp.Path, a) : a).ToArray();

        var (exitCode, _, _) = await CliRunner.InvokeAsync(resolved);

        Assert.Equal(2, exitCode);
    }
}
