using Apex.Agents.Simulated;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
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
    public async Task With_latency_the_answer_streams_in_pieces_with_usage_last()
    {
        var client = new SimulatedChatClient(new SimulatedOptions { LatencyMs = 0 }, "simulated", TimeProvider.System);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync("Plan a launch [[simulate:delay=40]]", cancellationToken: TestContext.Current.CancellationToken))
        {
            updates.Add(update);
        }
        var whole = await client.GetResponseAsync("Plan a launch [[simulate:delay=40]]", cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(updates.Count(u => u.Text.Length > 0) > 3);
        Assert.Equal(whole.Text, string.Concat(updates.Select(u => u.Text)));
        var usage = Assert.IsType<UsageContent>(Assert.Single(updates[^1].Contents));
        Assert.Equal(whole.Usage!.OutputTokenCount, usage.Details.OutputTokenCount);
    }

    [Fact]
    public async Task Streaming_pieces_are_due_on_the_calls_clock_so_a_slow_reader_does_not_stretch_the_call()
    {
        var time = new FakeTimeProvider();
        var client = new SimulatedChatClient(new SimulatedOptions { LatencyMs = 0 }, "simulated", time);
        var pieces = 0;
        await using var stream = client.GetStreamingResponseAsync("Plan a launch [[simulate:delay=1000]]", cancellationToken: TestContext.Current.CancellationToken)
            .GetAsyncEnumerator(TestContext.Current.CancellationToken);
        var next = stream.MoveNextAsync();
        Assert.False(next.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(500)); // half the latency: the first piece is due
        Assert.True(await next);
        pieces++;
        // The reader dawdles past the whole call's latency before asking for the next piece: every piece still due is
        // handed over at once, with no timer of its own, and the call ends at its latency.
        time.Advance(TimeSpan.FromMilliseconds(600));
        while (true)
        {
            var moved = stream.MoveNextAsync();
            Assert.True(moved.IsCompleted, $"piece {pieces + 1} was past due but waited on a timer of its own");
            if (!await moved)
            {
                break;
            }
            pieces += stream.Current.Text.Length > 0 ? 1 : 0;
        }
        Assert.True(pieces > 3);
    }

    [Fact]
    public async Task The_error_directive_fails_the_call()
    {
        await Assert.ThrowsAsync<SimulatedProviderException>(() =>
            Client().GetResponseAsync("please [[simulate:error]]", cancellationToken: TestContext.Current.CancellationToken));
    }
}
