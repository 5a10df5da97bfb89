using Apex.Core.Agents;
using Apex.Redis.Queue;
using StackExchange.Redis;
using Xunit;

namespace Apex.Redis.Tests.Queue;

public sealed class WorkMessageTests
{
    [Fact]
    public void Parse_OfToEntries_RoundTripsUnicodeAndEmptyStrings()
    {
        var message = TestMessages.Work(Guid.NewGuid(), 3) with
        {
            TenantId = "tenant-é",
            SystemPrompt = "",
            Instruction = "Résumé du 東京 — emoji 🚀\nline two\t|pipe|",
            Traceparent = "",
            TimeLimitMs = null,
        };

        var parsed = WorkMessage.Parse(message.ToEntries());

        Assert.Equal(message, parsed);
    }

    [Fact]
    public void ToEntries_WritesTheProtocolFieldsAsInvariantStrings()
    {
        var message = TestMessages.Work(Guid.Parse("0b8f5a2e-3c1d-4e5f-8a9b-112233445566"), 12);

        var fields = message.ToEntries().ToDictionary(e => (string)e.Name!, e => (string)e.Value!);

        Assert.Equal(
            ["v", "task_id", "tenant_id", "attempt", "agent", "provider", "model", "system_prompt", "agent_settings", "instruction", "output_schema", "time_limit_ms",
                "dag_id", "token_limit", "cost_limit", "api_call_limit", "used_tokens", "used_cost_usd", "used_api_calls", "dag_token_limit", "dag_cost_limit",
                "dag_api_call_limit", "dag_used_tokens", "dag_used_cost_usd", "dag_used_api_calls", "dispatched_at", "traceparent", "approval_tools", "approvals"],
            fields.Keys);
        Assert.Equal("1", fields["v"]);
        Assert.Equal("0b8f5a2e-3c1d-4e5f-8a9b-112233445566", fields["task_id"]);
        Assert.Equal("12", fields["attempt"]);
        Assert.Equal("60000", fields["time_limit_ms"]);
        Assert.Equal("1790000000123", fields["dispatched_at"]);
    }

    [Fact]
    public void Parse_OfToEntries_RoundTripsTheContractAndTheAgentsSettings()
    {
        var dagId = Guid.NewGuid();
        var message = TestMessages.Work(Guid.NewGuid(), 2) with
        {
            DagId = dagId,
            TokenLimit = 10_000,
            CostLimit = 0.25m,
            ApiCallLimit = 50,
            UsedTokens = 1_234,
            UsedCostUsd = 0.000123m,
            UsedApiCalls = 3,
            AgentSettings = new AgentSettings { Cascade = ["small", "large"], Tools = new AgentToolSettings { AllowedTools = ["calculator"], MaxSteps = 4 } },
            OutputSchema = """{"type":"object","required":["total"]}""",
        };

        var parsed = WorkMessage.Parse(message.ToEntries());

        Assert.Equal((dagId, 10_000L, 0.25m, 50), (parsed.DagId!.Value, parsed.TokenLimit!.Value, parsed.CostLimit!.Value, parsed.ApiCallLimit!.Value));
        Assert.Equal((1_234L, 0.000123m, 3), (parsed.UsedTokens, parsed.UsedCostUsd, parsed.UsedApiCalls));
        Assert.Equal(["small", "large"], parsed.AgentSettings.Cascade);
        Assert.Equal(["calculator"], parsed.AgentSettings.Tools.AllowedTools);
        Assert.Equal(4, parsed.AgentSettings.Tools.MaxSteps);
        Assert.Equal("""{"type":"object","required":["total"]}""", parsed.OutputSchema);
        Assert.Null(WorkMessage.Parse(TestMessages.Work(Guid.NewGuid(), 1).ToEntries()).OutputSchema);
    }

    [Fact]
    public void Parse_ToleratesUnknownFieldsAndAbsentOptionalOnes()
    {
        var taskId = Guid.NewGuid();
        NameValueEntry[] entries =
        [
            new("v", "1"), new("task_id", taskId.ToString()), new("tenant_id", "t"), new("attempt", "1"), new("agent", "a"),
            new("provider", "p"), new("model", "m"), new("instruction", "do"), new("time_limit_ms", ""),
            new("dispatched_at", "0"), new("added_by_a_newer_orchestrator", "x"),
        ];

        var parsed = WorkMessage.Parse(entries);

        Assert.Equal(taskId, parsed.TaskId);
        Assert.Equal("", parsed.SystemPrompt);
        Assert.Equal("", parsed.Traceparent);
        Assert.Null(parsed.TimeLimitMs);
    }

    [Theory]
    [InlineData("v", "2")]
    [InlineData("task_id", "not-a-guid")]
    [InlineData("attempt", "1.5")]
    [InlineData("dispatched_at", "yesterday")]
    [InlineData("instruction", null)]
    public void Parse_MalformedOrMissingField_ThrowsFormatException(string field, string? value)
    {
        var entries = TestMessages.Work(Guid.NewGuid()).ToEntries().Where(e => e.Name != field).ToList();
        if (value is not null)
        {
            entries.Add(new NameValueEntry(field, value));
        }

        Assert.Throws<FormatException>(() => WorkMessage.Parse([.. entries]));
    }
}
