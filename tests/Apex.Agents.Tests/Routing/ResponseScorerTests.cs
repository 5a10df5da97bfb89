using Apex.Agents.Routing;
using Xunit;

namespace Apex.Agents.Tests.Routing;

public sealed class ResponseScorerTests
{
    private const string PersonSchema = """
        {
          "type": "object",
          "properties": { "name": { "type": "string" }, "age": { "type": "integer" } },
          "required": ["name", "age"],
          "additionalProperties": false
        }
        """;

    private static readonly ResponseScorer Scorer = new(new RoutingOptions());

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   \n\t ")]
    public void Score_BlankAnswer_IsEmpty(string? answer)
    {
        var score = Scorer.Score(answer);

        Assert.False(score.Accepted);
        Assert.Equal(ScoreReasons.Empty, score.Reason);
        Assert.Equal(0, score.Score);
    }

    [Fact]
    public void Score_ShorterThanMinLength_IsEmpty()
    {
        var scorer = new ResponseScorer(new RoutingOptions { MinLength = 5 });

        Assert.Equal(ScoreReasons.Empty, scorer.Score(" ok ").Reason);
        Assert.True(scorer.Score("Paris").Accepted);
    }

    [Fact]
    public void Score_PlainAnswer_IsAccepted()
    {
        var score = Scorer.Score("The capital of Australia is Canberra.");

        Assert.True(score.Accepted);
        Assert.Equal(ScoreReasons.Accepted, score.Reason);
        Assert.Equal(1, score.Score);
    }

    [Theory]
    [InlineData("I can't help with that request.", "I can't")]
    [InlineData("I’m unable to access real-time data.", "I'm unable")]
    [InlineData("As an AI language model, I do not have opinions.", "as an AI")]
    [InlineData("Sorry. I CANNOT provide medical advice.", "I cannot")]
    public void Score_RefusalMarkerInOpening_IsRefusal(string answer, string marker)
    {
        var score = Scorer.Score(answer);

        Assert.False(score.Accepted);
        Assert.Equal(ScoreReasons.Refusal, score.Reason);
        Assert.Equal(marker, score.Detail);
    }

    [Fact]
    public void Score_RefusalMarkerPastTheWindow_IsAccepted()
    {
        var answer = new string('x', 300) + " and the character says: I can't go on.";

        Assert.True(new ResponseScorer(new RoutingOptions { MarkerWindow = 200 }).Score(answer).Accepted);
    }

    [Theory]
    [InlineData("I'm not sure, but it might be 1912.")]
    [InlineData("Honestly I don't know the exact figure.")]
    [InlineData("It depends on the season.")]
    [InlineData("Maybe Lyon?")]
    public void Score_HedgeInOpening_IsHedging(string answer)
    {
        var score = Scorer.Score(answer);

        Assert.False(score.Accepted);
        Assert.Equal(ScoreReasons.Hedging, score.Reason);
    }

    [Fact]
    public void Score_HedgingPrefixInsideTheAnswer_IsAccepted()
    {
        Assert.True(Scorer.Score("Pricing is tiered; the total cost it depends on is the seat count, so 40 seats cost $400.").Accepted);
    }

    [Fact]
    public void Score_MarkersConfigured_ReplaceTheDefaults()
    {
        var scorer = new ResponseScorer(new RoutingOptions { RefusalMarkers = ["je ne peux pas"], HedgingMarkers = [], HedgingPrefixes = [] });

        Assert.Equal(ScoreReasons.Refusal, scorer.Score("Je ne peux pas répondre.").Reason);
        Assert.True(scorer.Score("I'm not sure.").Accepted);
    }

    [Theory]
    [InlineData("""{"name":"Ada","age":36}""")]
    [InlineData("```json\n{\"name\": \"Ada\", \"age\": 36}\n```")]
    [InlineData("Here you go:\n```\n{\"name\": \"Ada\", \"age\": 36}\n```\n")]
    public void Score_JsonMatchingTheSchema_IsAccepted(string answer)
    {
        Assert.True(Scorer.Score(answer, schema: ResponseScorer.ParseSchema(PersonSchema)).Accepted);
    }

    [Theory]
    [InlineData("""{"name":"Ada","age":36""")]
    [InlineData("Here is the JSON: {\"name\":\"Ada\",\"age\":36}")]
    [InlineData("name: Ada, age: 36")]
    public void Score_JsonExpectedButUnparseable_IsInvalidJson(string answer)
    {
        var score = Scorer.Score(answer, expectsJson: true);

        Assert.False(score.Accepted);
        Assert.Equal(ScoreReasons.InvalidJson, score.Reason);
    }

    [Fact]
    public void Score_JsonExpectedAndRefused_IsRefusal()
    {
        Assert.Equal(ScoreReasons.Refusal, Scorer.Score("I cannot extract personal data.", expectsJson: true).Reason);
    }

    [Fact]
    public void Score_JsonWithAMarkerInAValue_IsAccepted()
    {
        Assert.True(Scorer.Score("""{"quote":"I don't know","speaker":"Bob"}""", expectsJson: true).Accepted);
    }

    [Theory]
    [InlineData("""{"name":"Ada","age":"36"}""")]
    [InlineData("""{"name":"Ada"}""")]
    [InlineData("""{"name":"Ada","age":36,"email":"ada@example.org"}""")]
    [InlineData("""[{"name":"Ada","age":36}]""")]
    public void Score_JsonNotMatchingTheSchema_IsSchemaMismatch(string answer)
    {
        var score = Scorer.Score(answer, schema: ResponseScorer.ParseSchema(PersonSchema));

        Assert.False(score.Accepted);
        Assert.Equal(ScoreReasons.SchemaMismatch, score.Reason);
        Assert.False(string.IsNullOrEmpty(score.Detail));
    }

    [Fact]
    public void Score_JsonWithoutSchema_OnlyHasToParse()
    {
        Assert.True(Scorer.Score("[1, 2, 3]", expectsJson: true).Accepted);
    }
}
