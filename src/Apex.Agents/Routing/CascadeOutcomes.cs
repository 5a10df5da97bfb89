namespace Apex.Agents.Routing;

/// <summary>What one step of a cascade came to: the <c>outcome</c> of a decision and of the decisions metric.</summary>
public static class CascadeOutcomes
{
    /// <summary>The answer passed; the cascade stops here.</summary>
    public const string Accepted = "accepted";

    /// <summary>The answer failed the scorer; the next model is tried, or this answer is final when none is left.</summary>
    public const string Rejected = "rejected";

    /// <summary>The call failed with a retryable provider error; the next model is tried.</summary>
    public const string ProviderError = "provider_error";
}
