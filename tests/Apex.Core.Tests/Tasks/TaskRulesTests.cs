using Apex.Contracts.Tasks;
using Apex.Core.Errors;
using Apex.Core.Tasks;
using Xunit;

namespace Apex.Core.Tests.Tasks;

public sealed class TaskRulesTests
{
    private static readonly CreateTaskRequest Valid = new() { Name = "t", Instruction = "Do it", Agent = "default" };

    [Fact]
    public void Validate_ValidRequestAtEveryBoundary_DoesNotThrow()
    {
        var request = Valid with
        {
            Name = new string('n', TaskRules.MaxNameLength),
            Agent = new string('a', 128),
            MaxAttempts = TaskRules.MaxAttemptsCeiling,
            Limits = new TaskLimits { TokenLimit = 1, CostLimit = 0.0001m, TimeLimitSeconds = 604_800, ApiCallLimit = 1 },
            Metadata = Enumerable.Range(0, TaskRules.MaxMetadataEntries).ToDictionary(i => $"k{i}", i => "v"),
        };

        TaskRules.Validate(request);
        TaskRules.Validate(Valid with { MaxAttempts = 1 });
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" \t\n")]
    public void Validate_MissingInstruction_ThrowsWithInstructionKey(string? instruction)
    {
        var error = Assert.Throws<ApexValidationException>(() => TaskRules.Validate(Valid with { Instruction = instruction }));

        Assert.Equal("validation_failed", error.Code);
        Assert.Equal(["instruction"], error.Errors.Keys);
    }

    [Theory]
    [InlineData("")]
    [InlineData("two words")]
    [InlineData("agent/1")]
    [InlineData("agent\n")]
    public void Validate_BadAgentName_ThrowsWithAgentKey(string agent)
    {
        var error = Assert.Throws<ApexValidationException>(() => TaskRules.Validate(Valid with { Agent = agent }));

        Assert.Equal(["agent"], error.Errors.Keys);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(101)]
    public void Validate_MaxAttemptsOutOfRange_ThrowsWithMaxAttemptsKey(int maxAttempts)
    {
        var error = Assert.Throws<ApexValidationException>(() => TaskRules.Validate(Valid with { MaxAttempts = maxAttempts }));

        Assert.Equal(["max_attempts"], error.Errors.Keys);
    }

    [Theory]
    [InlineData("token_limit", 0)]
    [InlineData("token_limit", -5)]
    [InlineData("cost_limit", 0)]
    [InlineData("cost_limit", -1)]
    [InlineData("time_limit_seconds", 0)]
    [InlineData("time_limit_seconds", 604_801)]
    [InlineData("api_call_limit", 0)]
    public void Validate_LimitOutOfRange_ThrowsWithLimitKey(string limit, int value)
    {
        var limits = limit switch
        {
            "token_limit" => new TaskLimits { TokenLimit = value },
            "cost_limit" => new TaskLimits { CostLimit = value },
            "time_limit_seconds" => new TaskLimits { TimeLimitSeconds = value },
            _ => new TaskLimits { ApiCallLimit = value },
        };

        var error = Assert.Throws<ApexValidationException>(() => TaskRules.Validate(Valid with { Limits = limits }));

        Assert.Equal([$"limits.{limit}"], error.Errors.Keys);
    }

    [Fact]
    public void Validate_NameAndMetadataTooLarge_ThrowsWithBothKeys()
    {
        var request = Valid with
        {
            Name = new string('n', TaskRules.MaxNameLength + 1),
            Metadata = Enumerable.Range(0, TaskRules.MaxMetadataEntries + 1).ToDictionary(i => $"k{i}", i => "v"),
        };

        var error = Assert.Throws<ApexValidationException>(() => TaskRules.Validate(request));

        Assert.Equal(["metadata", "name"], error.Errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Collect_SeveralProblemsWithPrefix_ReportsEachUnderPrefix()
    {
        var errors = new Dictionary<string, string[]>();
        var request = new CreateTaskRequest { Agent = "a b", MaxAttempts = 0, Limits = new TaskLimits { ApiCallLimit = -1 } };

        TaskRules.Collect(request, "tasks[3].", errors);

        Assert.Equal(
            ["tasks[3].agent", "tasks[3].instruction", "tasks[3].limits.api_call_limit", "tasks[3].max_attempts"],
            errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Collect_NullRequest_ReportsTheTaskItself()
    {
        var errors = new Dictionary<string, string[]>();

        TaskRules.Collect(null, "tasks[2].", errors);

        Assert.Equal(["tasks[2]"], errors.Keys);
    }
}
