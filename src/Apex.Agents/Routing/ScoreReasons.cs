namespace Apex.Agents.Routing;

/// <summary>Why an answer was accepted or not: the <c>reason</c> of a cascade decision.</summary>
public static class ScoreReasons
{
    /// <summary>Passed every check.</summary>
    public const string Accepted = "accepted";

    /// <summary>Blank or shorter than <see cref="RoutingOptions.MinLength"/>.</summary>
    public const string Empty = "empty";

    /// <summary>Opens with a refusal marker.</summary>
    public const string Refusal = "refusal";

    /// <summary>Opens with a hedging marker.</summary>
    public const string Hedging = "hedging";

    /// <summary>The task asks for JSON and the answer does not parse.</summary>
    public const string InvalidJson = "invalid_json";

    /// <summary>The answer parses but does not validate against the task's schema.</summary>
    public const string SchemaMismatch = "schema_mismatch";

    /// <summary>The judge rated the answer below its threshold, or gave no readable rating.</summary>
    public const string JudgeBelowThreshold = "judge_below_threshold";

    /// <summary>Prefix of a model call that failed with a retryable provider error, followed by its code.</summary>
    public const string ProviderErrorPrefix = "provider_error:";

    /// <summary>Prefix of a judge call that failed with a retryable provider error, followed by its code.</summary>
    public const string JudgeErrorPrefix = "judge_error:";
}
