using Apex.Core.Agents;
using Apex.Agents.Runtime;
using Apex.Agents.Tools;
using Microsoft.Extensions.AI;
using Xunit;

namespace Apex.Agents.Tests.Tools;

public sealed class ToolCatalogTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetTools_OffersOnlyAllowListedBuiltInsAndMcpTools()
    {
        await using var server = await McpTestServer.StartAsync();
        await using var tools = new ToolFixture(mcp: o => o.AllowedUrls = [server.Url.ToString()]);
        var settings = new AgentToolSettings
        {
            AllowedTools = ["calculator", "scratchpad_read", "tasks__echo", "no_such_tool"],
            McpServers = [new McpServerDefinition { Name = "tasks", Url = server.Url.ToString() }],
        };

        var offered = await tools.Catalog.GetToolsAsync(settings, HttpFetcherTests.Context(), Ct);

        Assert.Equal(["calculator", "scratchpad_read", "tasks__echo"], offered.Select(t => t.Name));
    }

    [Fact]
    public async Task GetTools_EmptyAllowList_OffersNothing()
    {
        await using var tools = new ToolFixture();

        Assert.Empty(await tools.Catalog.GetToolsAsync(new AgentToolSettings(), HttpFetcherTests.Context(), Ct));
    }

    [Fact]
    public async Task GetTools_McpServerWithNoAllowListedTool_IsNotContacted()
    {
        await using var tools = new ToolFixture(mcp: o => o.AllowedUrls = ["http://127.0.0.1:1/"]);
        var settings = new AgentToolSettings
        {
            AllowedTools = ["calculator"],
            McpServers = [new McpServerDefinition { Name = "down", Url = "http://127.0.0.1:1/mcp" }],
        };

        var offered = await tools.Catalog.GetToolsAsync(settings, HttpFetcherTests.Context(), Ct);

        Assert.Equal(["calculator"], offered.Select(t => t.Name));
    }

    [Fact]
    public async Task McpTool_Invoked_CallsTheServerUnderItsPrefixedName()
    {
        await using var server = await McpTestServer.StartAsync();
        await using var tools = new ToolFixture(mcp: o => o.AllowedUrls = [server.Url.ToString()]);
        var definition = new McpServerDefinition { Name = "tasks", Url = server.Url.ToString() };

        var listed = await tools.Mcp.GetToolsAsync(definition, Ct);
        var again = await tools.Mcp.GetToolsAsync(definition, Ct);
        var result = await listed.Single(t => t.Name == "tasks__echo").InvokeAsync(new AIFunctionArguments { ["text"] = "hi" }, Ct);

        Assert.Equal(["tasks__approve_task", "tasks__echo", "tasks__read_ticket"], listed.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Same(listed, again);
        Assert.Contains("echo: hi", result?.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, server.EchoCalls);
    }

    [Fact]
    public async Task McpServer_NotAllowedByTheOperator_IsRefused()
    {
        await using var tools = new ToolFixture();

        var url = await Assert.ThrowsAsync<AgentExecutionException>(() =>
            tools.Mcp.GetToolsAsync(new McpServerDefinition { Name = "x", Url = "http://169.254.169.254/mcp" }, Ct));
        var command = await Assert.ThrowsAsync<AgentExecutionException>(() =>
            tools.Mcp.GetToolsAsync(new McpServerDefinition { Name = "x", Command = "/bin/sh", Arguments = ["-c", "id"] }, Ct));
        var invalid = await Assert.ThrowsAsync<AgentExecutionException>(() =>
            tools.Mcp.GetToolsAsync(new McpServerDefinition { Name = "bad__name", Url = "http://a/" }, Ct));

        Assert.Equal(("mcp_not_allowed", false), (url.Code, url.Retryable));
        Assert.Equal(("mcp_not_allowed", false), (command.Code, command.Retryable));
        Assert.Equal("mcp_invalid", invalid.Code);
    }

    [Fact]
    public async Task McpServer_Unreachable_FailsTheAttemptRetryably()
    {
        await using var tools = new ToolFixture(mcp: o =>
        {
            o.AllowedUrls = ["http://127.0.0.1:1/"];
            o.ConnectTimeoutSeconds = 5;
        });

        var error = await Assert.ThrowsAsync<AgentExecutionException>(() =>
            tools.Mcp.GetToolsAsync(new McpServerDefinition { Name = "down", Url = "http://127.0.0.1:1/mcp" }, Ct));

        Assert.Equal(("mcp_unavailable", true), (error.Code, error.Retryable));
    }

    [Theory]
    [InlineData("github", "create_issue", "github__create_issue")]
    [InlineData("fs", "read.file/v2", "fs__read_file_v2")]
    public void ToolName_IsPrefixedAndSafeForEveryProvider(string server, string tool, string expected)
    {
        Assert.Equal(expected, McpToolSource.ToolName(server, tool));
        Assert.Equal(64, McpToolSource.ToolName(server, new string('a', 100)).Length);
    }

    [Fact]
    public async Task Scratchpad_IsSharedByTheTasksOfOneDagAndPrivateToAStandaloneTask()
    {
        await using var tools = new ToolFixture();
        var settings = new AgentToolSettings { AllowedTools = ["scratchpad_read", "scratchpad_write", "scratchpad_list"] };
        var dag = Guid.NewGuid();
        ToolContext first = new("t1", Guid.NewGuid(), dag), second = new("t1", Guid.NewGuid(), dag), alone = new("t1", Guid.NewGuid(), null), otherTenant = new("t2", Guid.NewGuid(), dag);

        var write = await Invoke(tools, settings, first, "scratchpad_write", new() { ["key"] = "plan", ["value"] = "step 1" });
        var shared = await Invoke(tools, settings, second, "scratchpad_read", new() { ["key"] = "plan" });
        var standalone = await Invoke(tools, settings, alone, "scratchpad_list", []);
        var tenant = await Invoke(tools, settings, otherTenant, "scratchpad_read", new() { ["key"] = "plan" });
        var badKey = await Invoke(tools, settings, first, "scratchpad_write", new() { ["key"] = "bad key!", ["value"] = "x" });

        Assert.Equal("ok", write);
        Assert.Equal("step 1", shared);
        Assert.Equal("(empty)", standalone);
        Assert.Equal("error: no value under 'plan'", tenant);
        Assert.StartsWith("error: a key is", badKey, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Loop_AfterMaxStepsRoundsOfToolCalls_AsksForAnAnswerWithoutTools()
    {
        await using var tools = new ToolFixture();
        var settings = new AgentToolSettings { AllowedTools = ["calculator"], MaxSteps = 2 };
        var model = new ScriptedChatClient((_, options, n) =>
            options?.Tools is { Count: > 0 } ? ScriptedChatClient.Call("calculator", new() { ["expression"] = $"{n} * 10" }) : ScriptedChatClient.Say("done"));
        var context = HttpFetcherTests.Context();

        var response = await tools.RunAsync(model, settings, context, "compute", Ct);

        Assert.Equal(["calculator", "calculator", ""], model.OfferedTools);
        Assert.Equal(["10", "20"], ScriptedChatClient.ToolResults(model.Requests[^1]));
        Assert.Equal(2, context.Tally.Invoked);
        Assert.Equal("done", response.Text);
    }

    [Fact]
    public async Task Loop_CallOfAToolNotOffered_IsAnsweredNotFoundAndCountedButNeverInvoked()
    {
        await using var server = await McpTestServer.StartAsync();
        await using var tools = new ToolFixture(mcp: o => o.AllowedUrls = [server.Url.ToString()]);
        var settings = new AgentToolSettings
        {
            AllowedTools = ["tasks__echo"],
            McpServers = [new McpServerDefinition { Name = "tasks", Url = server.Url.ToString() }],
        };
        var model = new ScriptedChatClient((_, _, n) => n == 1 ? ScriptedChatClient.Call("tasks__approve_task", new() { ["taskId"] = "42" }) : ScriptedChatClient.Say("gave up"));
        var context = HttpFetcherTests.Context();

        var response = await tools.RunAsync(model, settings, context, "approve 42", Ct);

        Assert.Equal("gave up", response.Text);
        Assert.Equal(0, server.ApproveCalls);
        Assert.Equal((0, 1), (context.Tally.Invoked, context.Tally.Refused));
        Assert.Contains("not found", Assert.Single(ScriptedChatClient.ToolResults(model.Requests[1])), StringComparison.OrdinalIgnoreCase);
    }

    private static async Task<string?> Invoke(ToolFixture tools, AgentToolSettings settings, ToolContext context, string name, AIFunctionArguments arguments)
    {
        var tool = (AIFunction)(await tools.Catalog.GetToolsAsync(settings, context, Ct)).Single(t => t.Name == name);
        var result = await tool.InvokeAsync(arguments, Ct);
        return result is System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.String } json ? json.GetString() : result?.ToString();
    }
}
