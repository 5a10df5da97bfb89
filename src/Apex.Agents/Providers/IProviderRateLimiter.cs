namespace Apex.Agents.Providers;

/// <summary>
/// Holds calls to a provider within its <see cref="ProviderOptions.RequestsPerMinute"/> and
/// <see cref="ProviderOptions.TokensPerMinute"/>. The in-process implementation limits one process; a shared one
/// (Redis) makes the limits hold across workers.
/// </summary>
public interface IProviderRateLimiter
{
    /// <summary>Waits until one request of about <paramref name="estimatedTokens"/> tokens may be sent to <paramref name="provider"/>.</summary>
    /// <exception cref="Runtime.AgentExecutionException"><c>rate_limited</c> when the request can never be admitted.</exception>
    ValueTask AcquireAsync(string provider, int estimatedTokens, CancellationToken cancellationToken = default);
}
