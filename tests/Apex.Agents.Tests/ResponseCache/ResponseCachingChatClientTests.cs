using Apex.Agents.ResponseCache;
using Apex.Agents.Tests.Contracts;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Apex.Agents.Tests.ResponseCache;

public sealed class ResponseCachingChatClientTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddHybridCache().Services.BuildServiceProvider();
    private readonly CountingChatClient _model = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetResponse_SameRequestTwice_AnswersTheSecondFromTheCacheAtNoCost()
    {
        using var client = Cached();

        var first = await client.GetResponseAsync("question", Options(), Token);
        var second = await client.GetResponseAsync("question", Options(), Token);

        Assert.Equal(1, _model.Calls);
        Assert.Equal(first.Text, second.Text);
        Assert.True(first.Usage!.OutputTokenCount > 0);
        Assert.Equal(0, second.Usage!.InputTokenCount);
        Assert.Equal(0, second.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task GetResponse_AnythingThatChangesTheAnswerDiffers_Misses()
    {
        using var client = Cached();
        await client.GetResponseAsync("question", Options(), Token);

        await client.GetResponseAsync("another question", Options(), Token);
        await client.GetResponseAsync("question", Options(o => o.Temperature = 0.9f), Token);
        await client.GetResponseAsync("question", Options(o => o.MaxOutputTokens = 99), Token);
        await client.GetResponseAsync("question", Options(o => o.ResponseFormat = ChatResponseFormat.Json), Token);
        await client.GetResponseAsync("question", Options(o => o.Tools = [Tool("lookup", "Looks things up.", (int id) => id)]), Token);
        await client.GetResponseAsync("question", Options(o => o.Tools = [Tool("lookup", "Looks other things up.", (int id) => id)]), Token);
        await client.GetResponseAsync("question", Options(o => o.Tools = [Tool("lookup", "Looks things up.", (string id) => id)]), Token);
        await client.GetResponseAsync("question", Options(o => o.ModelId = "other-model"), Token);
        using var otherProvider = new ResponseCachingChatClient(_model, "other", "m", _services.GetRequiredService<HybridCache>(), TimeSpan.FromMinutes(1));
        await otherProvider.GetResponseAsync("question", Options(), Token);

        Assert.Equal(10, _model.Calls);
        await client.GetResponseAsync("question", Options(o => o.Tools = [Tool("lookup", "Looks things up.", (int id) => id)]), Token);
        Assert.Equal(10, _model.Calls);
    }

    [Fact]
    public async Task GetStreamingResponse_AfterAStreamedAnswer_ReplaysItAsUpdatesAtNoCost()
    {
        using var client = Cached();

        var first = await client.GetStreamingResponseAsync("question", Options(), Token).ToChatResponseAsync(Token);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync("question", Options(), Token))
        {
            updates.Add(update);
        }
        var unary = await client.GetResponseAsync("question", Options(), Token);

        Assert.Equal(1, _model.Calls);
        Assert.Equal("done", first.Text);
        Assert.Equal("done", updates.ToChatResponse().Text);
        Assert.Equal(0, updates.ToChatResponse().Usage!.OutputTokenCount);
        Assert.Equal("done", unary.Text);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AboveTheMeter_ACacheHit_CountsNoCallAndFitsAUsedUpContract(bool streaming)
    {
        // As the agent runtime stacks them: the cache above the meter, the meter above the provider.
        var meter = ContractMeterTests.Meter(new Apex.Contracts.Tasks.TaskLimits { ApiCallLimit = 1 });
        using var metered = new ResponseCachingChatClient(new Apex.Agents.Contracts.MeteredChatClient(_model, meter), "openai", "m",
            _services.GetRequiredService<HybridCache>(), TimeSpan.FromMinutes(1));

        for (var i = 0; i < 3; i++)
        {
            var text = streaming
                ? (await metered.GetStreamingResponseAsync("question", Options(), Token).ToChatResponseAsync(Token)).Text
                : (await metered.GetResponseAsync("question", Options(), Token)).Text;
            Assert.Equal("done", text);
        }

        // One real call; the two hits fit a one-call contract and add nothing to it.
        Assert.Equal(1, _model.Calls);
        Assert.Equal(1, meter.Usage.ApiCalls);
        Assert.True(meter.Usage.OutputTokens > 0);
    }

    public void Dispose()
    {
        _model.Dispose();
        _services.Dispose();
    }

    private ResponseCachingChatClient Cached() =>
        new(_model, "openai", "m", _services.GetRequiredService<HybridCache>(), TimeSpan.FromMinutes(1));

    private static ChatOptions Options(Action<ChatOptions>? change = null)
    {
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 100 };
        change?.Invoke(options);
        return options;
    }

    private static AIFunction Tool(string name, string description, Delegate body) =>
        AIFunctionFactory.Create(body, name, description);
}
