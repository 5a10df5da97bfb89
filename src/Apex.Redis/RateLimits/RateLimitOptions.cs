namespace Apex.Redis.RateLimits;

/// <summary>The shared provider rate limits of distributed mode (configuration section <c>Apex:Redis:RateLimits</c>).</summary>
public sealed class RateLimitOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:Redis:RateLimits";

    /// <summary>
    /// Longest a call waits for its provider's shared budget (default 1 min). A call that would wait longer fails at
    /// once with <c>rate_limited</c> (retryable, with the wait as its Retry-After) and takes nothing from the budget.
    /// </summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromMinutes(1);
}
