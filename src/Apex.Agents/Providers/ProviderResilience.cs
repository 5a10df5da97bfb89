using Apex.Agents.Runtime;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace Apex.Agents.Providers;

/// <summary>
/// The resilience pipeline one provider's calls share: retries with exponential backoff and jitter (or the provider's
/// Retry-After) around a circuit breaker. Both act on <see cref="AgentExecutionException"/>s that are retryable, so a
/// bad request or a rejected key fails at once and does not count against the provider's health.
/// </summary>
internal static class ProviderResilience
{
    /// <summary>A Retry-After longer than this is not waited out inside one call; the failure goes back to the engine.</summary>
    public static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(60);

    public static ResiliencePipeline Build(string provider, ProviderOptions options, CircuitBreakerStateProvider circuit, TimeProvider timeProvider, ILogger logger)
    {
        var builder = new ResiliencePipelineBuilder { Name = $"Apex.Providers.{provider}", TimeProvider = timeProvider };
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromSeconds(options.RetryBaseDelaySeconds),
                MaxDelay = MaxRetryAfter,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is AgentExecutionException { Retryable: true } e && !(e.RetryAfter > MaxRetryAfter)),
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Exception is AgentExecutionException { RetryAfter: { } after } ? after : (TimeSpan?)null),
                OnRetry = args =>
                {
                    var code = (args.Outcome.Exception as AgentExecutionException)?.Code ?? "unknown";
                    ProviderLog.Retrying(logger, provider, code, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds);
                    return ValueTask.CompletedTask;
                },
            });
        }
        var breaker = options.CircuitBreaker;
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            // Polly counts a failure ratio over a window; "every call failed, at least FailureThreshold of them" is
            // the nearest to a run of consecutive failures.
            FailureRatio = 1.0,
            MinimumThroughput = breaker.FailureThreshold,
            SamplingDuration = TimeSpan.FromSeconds(breaker.SamplingSeconds),
            BreakDuration = TimeSpan.FromSeconds(breaker.BreakSeconds),
            StateProvider = circuit,
            // Our own rate limiter's refusals never reached the provider: they say nothing of its health.
            ShouldHandle = args => ValueTask.FromResult(
                args.Outcome.Exception is AgentExecutionException { Retryable: true } and not RateLimitRefusedException),
            OnOpened = _ =>
            {
                ProviderLog.CircuitOpened(logger, provider, breaker.BreakSeconds);
                return ValueTask.CompletedTask;
            },
            OnHalfOpened = _ =>
            {
                ProviderLog.CircuitHalfOpened(logger, provider);
                return ValueTask.CompletedTask;
            },
            OnClosed = _ =>
            {
                ProviderLog.CircuitClosed(logger, provider);
                return ValueTask.CompletedTask;
            },
        });
        return builder.Build();
    }
}
