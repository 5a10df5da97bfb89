namespace Apex.Contracts.Tasks;

/// <summary>The cost contract of a task. Unset fields take the defaults of the server.</summary>
public sealed record TaskLimits
{
    /// <summary>Maximum input + output tokens over every LLM call.</summary>
    public long? TokenLimit { get; init; }

    /// <summary>Maximum spend in US dollars.</summary>
    public decimal? CostLimit { get; init; }

    /// <summary>Maximum wall-clock seconds of one attempt.</summary>
    public int? TimeLimitSeconds { get; init; }

    /// <summary>Maximum number of LLM API calls.</summary>
    public int? ApiCallLimit { get; init; }
}
