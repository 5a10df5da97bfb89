using Apex.Agents.Runtime;
using Apex.Agents.Tests.Providers;
using Apex.Contracts.Tasks;
using Apex.Core.Agents;
using Apex.Engine.Events;
using Apex.Testing.LlmFakes;
using Xunit;

namespace Apex.Agents.Tests.ResponseCache;

/// <summary><c>Apex:LlmCache</c> through the agent runtime's real wiring and pipeline.</summary>
public sealed class LlmCacheSettingsTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(null, 2)]
    [InlineData("false", 2)]
    [InlineData("true", 1)]
    public async Task ApexLlmCacheEnabled_SameRequestTwiceToARealProvider_CallsItOnceOnlyWhenOn(string? enabled, int requests)
    {
        await using var fake = await OpenAiFake.StartAsync(Token);
        await using var host = new ProviderHost(new Dictionary<string, string?>
        {
            ["OPENAI_BASE_URL"] = fake.BaseUrl,
            ["OPENAI_API_KEY"] = ProviderHost.ApiKey,
            ["Apex:LlmCache:Enabled"] = enabled,
        });

        var first = await RunAsync(host, "openai", new TaskLimits());
        var second = await RunAsync(host, "openai", new TaskLimits());

        Assert.Equal(requests, fake.RequestCount);
        Assert.Equal(first.Output, second.Output);
        // A hit is no API call and spends nothing.
        Assert.Equal(requests == 1 ? 0 : 1, second.Usage.ApiCalls);
        Assert.Equal(requests == 1 ? 0 : first.Usage.OutputTokens, second.Usage.OutputTokens);
    }

    [Fact]
    public async Task ApexLlmCacheEnabled_AHit_FitsAContractWhoseCallsAreUsedUp()
    {
        await using var fake = await OpenAiFake.StartAsync(Token);
        await using var host = new ProviderHost(new Dictionary<string, string?>
        {
            ["OPENAI_BASE_URL"] = fake.BaseUrl,
            ["OPENAI_API_KEY"] = ProviderHost.ApiKey,
            ["Apex:LlmCache:Enabled"] = "true",
        });
        var first = await RunAsync(host, "openai", new TaskLimits { ApiCallLimit = 1 });

        // The same question from a task with no call left: answered from the cache, not refused.
        var second = await RunAsync(host, "openai", new TaskLimits { ApiCallLimit = 1 }, usedBefore: new(10, 10, 0m, 1));

        Assert.Equal(1, fake.RequestCount);
        Assert.Equal(first.Output, second.Output);
    }

    [Fact]
    public async Task ApexLlmCacheEnabled_SimulatedProvider_IsNotCached()
    {
        await using var host = new ProviderHost(new Dictionary<string, string?>
        {
            ["Apex:LlmCache:Enabled"] = "true",
            ["Apex:Simulated:LatencyMs"] = "0",
        });

        var first = await RunAsync(host, "simulated", new TaskLimits());
        var second = await RunAsync(host, "simulated", new TaskLimits());

        Assert.Equal((1, 1), (first.Usage.ApiCalls, second.Usage.ApiCalls));
        Assert.Equal(first.Usage.OutputTokens, second.Usage.OutputTokens);
    }

    private static Task<AgentRunResult> RunAsync(ProviderHost host, string provider, TaskLimits limits, Apex.Core.Events.UsageDelta? usedBefore = null) =>
        host.Get<AgentRunner>().RunAsync(new AgentRun
        {
            Agent = new AgentDefinition { TenantId = "t", Id = Guid.NewGuid(), Name = "a", Provider = provider, Model = "gpt-4o-mini" },
            TenantId = "t",
            TaskId = Guid.NewGuid(),
            Attempt = 1,
            Instruction = "same question",
            Limits = limits,
            UsedBefore = usedBefore ?? Apex.Core.Events.UsageDelta.None,
        }, new InProcessEventBus(), Token);
}
