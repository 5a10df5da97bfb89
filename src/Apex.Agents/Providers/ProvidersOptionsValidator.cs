using Microsoft.Extensions.Options;

namespace Apex.Agents.Providers;

/// <summary>Checks every provider item at start so a typo fails the host, not the first task.</summary>
internal sealed class ProvidersOptionsValidator : IValidateOptions<ProvidersOptions>
{
    public ValidateOptionsResult Validate(string? name, ProvidersOptions options)
    {
        List<string> errors = [];
        if (!string.IsNullOrWhiteSpace(options.Default) && !options.Items.ContainsKey(options.Default)
            && !string.Equals(options.Default, ProviderDefaults.SimulatedName, StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"Apex:Providers:Default is '{options.Default}', but no provider has that name (configured: {string.Join(", ", options.Items.Keys.Prepend(ProviderDefaults.SimulatedName))}).");
        }
        foreach (var (itemName, item) in options.Items)
        {
            Validate($"Apex:Providers:Items:{itemName}", itemName, item, errors);
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Validate(string path, string itemName, ProviderOptions item, List<string> errors)
    {
        var kind = ProviderDefaults.KindOf(itemName, item);
        if (kind is null)
        {
            errors.Add($"{path}:Kind is required (openai, anthropic, ollama or simulated) because the name does not say it.");
        }
        if (!string.IsNullOrWhiteSpace(item.BaseUrl)
            && !(Uri.TryCreate(item.BaseUrl, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)))
        {
            errors.Add($"{path}:BaseUrl must be an absolute http(s) URL, got '{item.BaseUrl}'.");
        }
        if (kind is ProviderKind.OpenAI or ProviderKind.Anthropic && string.IsNullOrWhiteSpace(item.ApiKey) && string.IsNullOrWhiteSpace(item.BaseUrl))
        {
            errors.Add($"{path}:ApiKey is required for the public {kind} endpoint (or set BaseUrl to a server that needs none).");
        }
        if (item.TimeoutSeconds is <= 0 or > 3600)
        {
            errors.Add($"{path}:TimeoutSeconds must be in (0, 3600], got {item.TimeoutSeconds}.");
        }
        if (item.MaxRetries is < 0 or > 10)
        {
            errors.Add($"{path}:MaxRetries must be in [0, 10], got {item.MaxRetries}.");
        }
        if (item.RetryBaseDelaySeconds is < 0 or > 60)
        {
            errors.Add($"{path}:RetryBaseDelaySeconds must be in [0, 60], got {item.RetryBaseDelaySeconds}.");
        }
        if (item.RequestsPerMinute is <= 0)
        {
            errors.Add($"{path}:RequestsPerMinute must be positive or unset (unlimited), got {item.RequestsPerMinute}.");
        }
        if (item.TokensPerMinute is <= 0)
        {
            errors.Add($"{path}:TokensPerMinute must be positive or unset (unlimited), got {item.TokensPerMinute}.");
        }
        if (item.CircuitBreaker.FailureThreshold < 2)
        {
            errors.Add($"{path}:CircuitBreaker:FailureThreshold must be at least 2, got {item.CircuitBreaker.FailureThreshold}.");
        }
        if (item.CircuitBreaker.BreakSeconds is < 0.5 or > 86_400)
        {
            errors.Add($"{path}:CircuitBreaker:BreakSeconds must be in [0.5, 86400], got {item.CircuitBreaker.BreakSeconds}.");
        }
        if (item.CircuitBreaker.SamplingSeconds is < 0.5 or > 86_400)
        {
            errors.Add($"{path}:CircuitBreaker:SamplingSeconds must be in [0.5, 86400], got {item.CircuitBreaker.SamplingSeconds}.");
        }
    }
}
