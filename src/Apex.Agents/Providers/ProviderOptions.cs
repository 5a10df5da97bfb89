namespace Apex.Agents.Providers;

/// <summary>One named LLM provider (<c>Apex:Providers:Items:{name}</c>).</summary>
public sealed class ProviderOptions
{
    /// <summary>Wire protocol; when unset, the item's name if it names a kind (<c>openai</c>, <c>anthropic</c>, <c>ollama</c>, <c>simulated</c>).</summary>
    public ProviderKind? Kind { get; set; }

    /// <summary>Endpoint; the kind's public endpoint when unset. OpenAI-compatible URLs include the <c>/v1</c> segment.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>Secret sent in the provider's auth header only; never logged.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Model new agents get on this provider; the kind's default when unset.</summary>
    public string? DefaultModel { get; set; }

    /// <summary>Seconds one attempt may take; for streaming, the longest wait for the next update.</summary>
    public double TimeoutSeconds { get; set; } = 100;

    /// <summary>Retries of a retryable failure within one call (0 disables).</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>First retry delay in seconds, doubled each retry with jitter; a provider's Retry-After takes precedence.</summary>
    public double RetryBaseDelaySeconds { get; set; } = 1;

    /// <summary>Requests a minute this process sends the provider; null is unlimited.</summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>Estimated tokens (prompt characters / 4 + max output tokens) a minute; null is unlimited.</summary>
    public int? TokensPerMinute { get; set; }

    /// <summary>When the provider stops being called after repeated failures.</summary>
    public CircuitBreakerOptions CircuitBreaker { get; set; } = new();
}
