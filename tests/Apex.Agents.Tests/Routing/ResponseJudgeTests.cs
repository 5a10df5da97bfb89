using Apex.Agents.Routing;
using Xunit;

namespace Apex.Agents.Tests.Routing;

public sealed class ResponseJudgeTests
{
    [Theory]
    [InlineData("0.8", 0.8)]
    [InlineData("1", 1.0)]
    [InlineData("0", 0.0)]
    [InlineData("Score: 0.85", 0.85)]
    [InlineData("8/10", 0.8)]
    [InlineData("I'd rate it 7 / 10 because it misses a step.", 0.7)]
    [InlineData("85%", 0.85)]
    [InlineData("""{"score": 0.9, "why": "complete"}""", 0.9)]
    [InlineData("```json\n{\"rating\": 1}\n```", 1.0)]
    [InlineData("7", 0.7)]
    [InlineData("92", 0.92)]
    public void ParseRating_ReadableReply_IsScaledToZeroOne(string reply, double expected)
    {
        Assert.Equal(expected, ResponseJudge.ParseRating(reply)!.Value, precision: 6);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("The answer looks fine.")]
    [InlineData("11/10")]
    [InlineData("250")]
    public void ParseRating_NoUsableNumber_IsNull(string? reply)
    {
        Assert.Null(ResponseJudge.ParseRating(reply));
    }

    [Fact]
    public async Task RateAsync_AsksTheJudgeModelWithInstructionAndAnswer()
    {
        var client = new ScriptedChatClient(_ => ScriptedChatClient.Answer("0.9", 120, 2));
        var judge = new ResponseJudge(client, "gpt-4o-mini", 0.7);

        var rating = await judge.RateAsync("Name the capital of France.", "Paris", TestContext.Current.CancellationToken);

        Assert.Equal(new JudgeRating(0.9, 120, 2), rating);
        var call = Assert.Single(client.Calls);
        Assert.Equal("gpt-4o-mini", call.Options?.ModelId);
        Assert.Contains("Name the capital of France.", call.Messages[^1].Text, StringComparison.Ordinal);
        Assert.Contains("Paris", call.Messages[^1].Text, StringComparison.Ordinal);
    }
}
