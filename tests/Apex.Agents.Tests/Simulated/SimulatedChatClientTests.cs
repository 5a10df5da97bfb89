using Apex.Agents.Simulated;
using Microsoft.Extensions.AI;
using Xunit;

namespace Apex.Agents.Tests.Simulated;

public sealed class SimulatedChatClientTests
{
    private static SimulatedChatClient Client() => new(new SimulatedOptions { LatencyMs = 0 }, "simulated", TimeProvider.System);

    [Fact]
    public async Task Same_prompt_gives_the_same_marked_answer_and_usage()
    {
        var first = await Client().GetResponseAsync("Summarise the quarterly report", cancellationToken: TestContext.Current.CancellationToken);
        var second = await Client().GetResponseAsync("Summarise the quarterly report", cancellationToken: TestContext.Current.CancellationToken);

        Assert.StartsWith(SimulatedChatClient.Marker, first.Text, StringComparison.Ordinal);
        Assert.Equal(first.Text, second.Text);
        Assert.Equal(SimulatedChatClient.EstimateTokens(first.Text), first.Usage!.OutputTokenCount);
        Assert.True(first.Usage.InputTokenCount > 0);
    }

    [Fact]
    public async Task Streaming_yields_the_same_text_as_the_whole_response()
    {
        var whole = await Client().GetResponseAsync("Plan a launch", cancellationToken: TestContext.Current.CancellationToken);
        var streamed = await Client().GetStreamingResponseAsync("Plan a launch", cancellationToken: TestContext.Current.CancellationToken).ToChatResponseAsync(TestContext.Current.CancellationToken);

        Assert.Equal(whole.Text, streamed.Text);
    }

    [Fact]
    public async Task The_error_directive_fails_the_call()
    {
        await Assert.ThrowsAsync<SimulatedProviderException>(() =>
            Client().GetResponseAsync("please [[simulate:error]]", cancellationToken: TestContext.Current.CancellationToken));
    }
}
