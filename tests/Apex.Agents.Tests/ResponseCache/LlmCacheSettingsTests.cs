using Apex.Agents.Tests.Providers;
using Apex.Testing.LlmFakes;
using Microsoft.Extensions.AI;
using Xunit;

namespace Apex.Agents.Tests.ResponseCache;

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
        using var host = new ProviderHost(new Dictionary<string, string?>
        {
            ["OPENAI_BASE_URL"] = fake.BaseUrl,
            ["Apex:LlmCache:Enabled"] = enabled,
        });
        var client = host.Clients.GetClient("openai", "m");

        var first = await client.GetResponseAsync("same question", cancellationToken: Token);
        var second = await client.GetResponseAsync("same question", cancellationToken: Token);

        Assert.Equal(requests, fake.RequestCount);
        Assert.Equal(first.Text, second.Text);
    }

    [Fact]
    public async Task ApexLlmCacheEnabled_SimulatedProvider_IsNotCached()
    {
        using var host = new ProviderHost(new Dictionary<string, string?>
        {
            ["Apex:LlmCache:Enabled"] = "true",
            ["Apex:Simulated:LatencyMs"] = "0",
        });
        var client = host.Clients.GetClient("simulated", "m");

        var first = await client.GetResponseAsync("same question", cancellationToken: Token);
        var second = await client.GetResponseAsync("same question", cancellationToken: Token);

        Assert.True(second.Usage!.OutputTokenCount > 0);
        Assert.Equal(first.Usage!.OutputTokenCount, second.Usage.OutputTokenCount);
    }
}
