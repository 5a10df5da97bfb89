using Apex.Agents.Providers;
using Apex.Agents.Runtime;
using Apex.Testing.LlmFakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
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

    [Fact]
    public async Task RateLimiterRefusals_NeverReachTheProvider_SoTheyDoNotOpenTheCircuit()
    {
        await using var fake = await OpenAiFake.StartAsync(Token);
        var limiter = new RefusingRateLimiter(refusals: 8);
        using var host = new ProviderHost(new Dictionary<string, string?>
        {
            ["OPENAI_BASE_URL"] = fake.BaseUrl,
            ["Apex:Providers:Items:openai:MaxRetries"] = "0",
        }, configure: services => services.Replace(ServiceDescriptor.Singleton<IProviderRateLimiter>(limiter)));
        var client = host.Clients.GetClient("openai", "m");

        for (var i = 0; i < 8; i++)
        {
            var refused = await Assert.ThrowsAnyAsync<AgentExecutionException>(() => client.GetResponseAsync("Hello", cancellationToken: Token));
            Assert.Equal(ProviderErrorCodes.RateLimited, refused.Code);
        }
        // Eight refusals, more than the breaker's five: the next admitted call still goes to the provider.
        var response = await client.GetResponseAsync("Hello", cancellationToken: Token);

        Assert.StartsWith("[fake]", response.Text, StringComparison.Ordinal);
        Assert.Equal(1, fake.RequestCount);
    }

    /// <summary>A limiter over its budget for the first <c>refusals</c> requests, as a shared limiter past its MaxWait is.</summary>
    private sealed class RefusingRateLimiter(int refusals) : IProviderRateLimiter
    {
        private int _left = refusals;

        public ValueTask AcquireAsync(string provider, int estimatedTokens, CancellationToken cancellationToken = default) =>
            Interlocked.Decrement(ref _left) >= 0
                ? throw new RateLimitRefusedException($"Provider '{provider}' is over its rate limit.")
                : ValueTask.CompletedTask;
    }
}
