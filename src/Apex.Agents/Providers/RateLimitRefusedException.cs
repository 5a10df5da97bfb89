using Apex.Agents.Runtime;

namespace Apex.Agents.Providers;

/// <summary>
/// <c>rate_limited</c> from our own <see cref="IProviderRateLimiter"/>: the request was never sent, so it says nothing
/// of the provider's health. Retried like a provider's 429, but the circuit breaker does not count it.
/// </summary>
public sealed class RateLimitRefusedException(string message)
    : AgentExecutionException(ProviderErrorCodes.RateLimited, message, retryable: true);
