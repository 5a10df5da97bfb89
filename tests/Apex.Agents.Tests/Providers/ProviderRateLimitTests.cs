using Apex.Testing.LlmFakes;
using Microsoft.Extensions.AI;
using Xunit;

namespace Apex.Agents.Tests.Providers;

public sealed class ProviderRateLimitTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RequestsPerMinute_Spent_HoldsTheNextCallUntilCancelled()
    {
        await using var fake = await OpenAiFake.StartAsync(Token);
        using var host = new ProviderHost(new Dictionary<string, string?>
        {
            ["OPENAI_BASE_URL"] = fake.BaseUrl,
            ["Apex:Providers:Items:openai:RequestsPerMinute"] = "2",
        });
        var client = host.Clients.GetClient("openai", "m");
        await client.GetResponseAsync("one", cancellationToken: Token);
        await client.GetResponseAsync("two", cancellationToken: Token);

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var third = client.GetResponseAsync("three", cancellationToken: cancel.Token);

        Assert.False(third.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => third);
        Assert.Equal(2, fake.RequestCount);
    }

    [Fact]
    public async Task TokensPerMinute_PromptOverTheBudgetLeft_WaitsForTheBucket()
    {
        await using var fake = await OpenAiFake.StartAsync(Token);
        using var host = new ProviderHost(new Dictionary<string, string?>
        {
            ["OPENAI_BASE_URL"] = fake.BaseUrl,
            ["Apex:Providers:Items:openai:TokensPerMinute"] = "1000",
        });
        var client = host.Clients.GetClient("openai", "m");
        await client.GetResponseAsync(new string('a', 3_000), cancellationToken: Token);

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var second = client.GetResponseAsync("short", new ChatOptions { MaxOutputTokens = 500 }, cancel.Token);

        Assert.False(second.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
        Assert.Equal(1, fake.RequestCount);
    }
}
