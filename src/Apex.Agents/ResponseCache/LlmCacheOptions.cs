namespace Apex.Agents.ResponseCache;

/// <summary>The response cache of real providers (configuration section <c>Apex:LlmCache</c>); off by default.</summary>
public sealed class LlmCacheOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:LlmCache";

    /// <summary>
    /// Answer a request identical to an earlier one (provider, model, messages, tools, options) from the cache instead
    /// of the provider (default false). Turn it on only where the same answer to the same request is wanted.
    /// </summary>
    public bool Enabled { get; set; }

    /// <summary>How long an answer is kept, in memory and, where the host gives the cache Redis, in Redis (default 1 h).</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromHours(1);
}
