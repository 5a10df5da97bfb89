namespace Apex.Agents.Providers;

/// <summary>The <see cref="Runtime.AgentExecutionException.Code"/> values a provider call fails with.</summary>
public static class ProviderErrorCodes
{
    /// <summary>HTTP 429; retryable, with the provider's Retry-After when it sent one.</summary>
    public const string RateLimited = "rate_limited";

    /// <summary>HTTP 5xx or no connection; retryable.</summary>
    public const string Unavailable = "provider_unavailable";

    /// <summary>HTTP 401/403: the key is missing, wrong or lacks access; not retryable.</summary>
    public const string AuthFailed = "provider_auth_failed";

    /// <summary>Any other HTTP 4xx (unknown model, context too long...); not retryable.</summary>
    public const string BadRequest = "provider_bad_request";

    /// <summary>A success status with a body the client could not read; retryable.</summary>
    public const string BadResponse = "provider_bad_response";

    /// <summary>No answer (or no next streaming update) within the provider's timeout; retryable.</summary>
    public const string Timeout = "provider_timeout";

    /// <summary>The provider failed repeatedly and is not being called for a while; retryable elsewhere.</summary>
    public const string CircuitOpen = "provider_circuit_open";
}
