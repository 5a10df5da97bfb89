using Apex.Core.Events;
using Apex.Redis.Queue;
using StackExchange.Redis;
using Xunit;

namespace Apex.Redis.Tests.Queue;

public sealed class ResultMessageTests
{
    [Theory]
    [InlineData(ResultOutcome.Succeeded)]
    [InlineData(ResultOutcome.Failed)]
    [InlineData(ResultOutcome.Released)]
    public void Parse_OfToEntries_RoundTrips(ResultOutcome outcome)
    {
        var message = TestMessages.Result(Guid.NewGuid(), 2, "worker-ü") with
        {
            Outcome = outcome,
            Output = outcome == ResultOutcome.Succeeded ? "答え: 42 ✓" : "",
            ErrorCode = outcome == ResultOutcome.Failed ? "timeout" : "",
            ErrorMessage = outcome == ResultOutcome.Failed ? "took «too» long" : "",
            Retryable = outcome == ResultOutcome.Failed,
            CostUsd = 1234.567890123456789m,
        };

        var parsed = ResultMessage.Parse(message.ToEntries());

        Assert.Equal(message, parsed);
    }

    [Fact]
    public void Parse_OfToEntries_RoundTripsWhatEachModelSpent()
    {
        var message = TestMessages.Result(Guid.NewGuid(), 1, "w1") with
        {
            Calls = [new LlmCallUsage("openai", "gpt-4o-mini", 30, 12, 0.0000117m, 1), new LlmCallUsage("openai", "gpt-4o", 30, 8, 0.000155m, 1)],
        };

        var parsed = ResultMessage.Parse(message.ToEntries());

        Assert.Equal(message.Calls, parsed.Calls);
    }

    [Fact]
    public void ToEntries_WritesDecimalsFlagsAndOutcomesAsTheProtocolSays()
    {
        var message = TestMessages.Result(Guid.NewGuid(), 1, "w1") with { CostUsd = 0.0000012m, Retryable = true, Outcome = ResultOutcome.Released };

        var fields = message.ToEntries().ToDictionary(e => (string)e.Name!, e => (string)e.Value!);

        Assert.Equal(
            ["v", "task_id", "tenant_id", "attempt", "worker", "outcome", "output", "error_code", "error_message", "retryable",
             "input_tokens", "output_tokens", "cost_usd", "api_calls", "calls", "started_at", "finished_at", "approval_action", "approval_tool",
             "approval_args_hash", "approval_risk", "approval_summary", "approvals_used"],
            fields.Keys);
        Assert.Equal("0.0000012", fields["cost_usd"]);
        Assert.Equal("1", fields["retryable"]);
        Assert.Equal("released", fields["outcome"]);
    }

    [Theory]
    [InlineData("1.5E-3", "0.0015")]
    [InlineData("-0", "0")]
    [InlineData("42", "42")]
    public void Parse_AcceptsDecimalsAsOtherLanguagesPrintThem(string wire, string expected)
    {
        var entries = TestMessages.Result(Guid.NewGuid(), 1, "w1").ToEntries().Where(e => e.Name != "cost_usd").Append(new("cost_usd", wire));

        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), ResultMessage.Parse([.. entries]).CostUsd);
    }

    [Theory]
    [InlineData("outcome", "done")]
    [InlineData("retryable", "yes")]
    [InlineData("cost_usd", "1,5")]
    [InlineData("worker", null)]
    public void Parse_MalformedOrMissingField_ThrowsFormatException(string field, string? value)
    {
        var entries = TestMessages.Result(Guid.NewGuid(), 1, "w1").ToEntries().Where(e => e.Name != field).ToList();
        if (value is not null)
        {
            entries.Add(new NameValueEntry(field, value));
        }

        Assert.Throws<FormatException>(() => ResultMessage.Parse([.. entries]));
    }
}
