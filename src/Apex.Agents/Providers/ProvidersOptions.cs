namespace Apex.Agents.Providers;

/// <summary>
/// The LLM providers (configuration section <c>Apex:Providers</c>). The ecosystem variables <c>OPENAI_API_KEY</c>,
/// <c>OPENAI_BASE_URL</c>, <c>ANTHROPIC_API_KEY</c>, <c>ANTHROPIC_BASE_URL</c> and <c>OLLAMA_HOST</c> add or complete the
/// items <c>openai</c>, <c>anthropic</c> and <c>ollama</c>; values set under <c>Apex:Providers</c> win.
/// </summary>
public sealed class ProvidersOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:Providers";

    /// <summary>Provider new agents get; when unset, the first configured of openai, anthropic, ollama, else <c>simulated</c>.</summary>
    public string? Default { get; set; }

    /// <summary>Providers by name (case-insensitive).</summary>
    public Dictionary<string, ProviderOptions> Items { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}
