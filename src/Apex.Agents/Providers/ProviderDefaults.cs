namespace Apex.Agents.Providers;

/// <summary>What a provider item gets for the settings it leaves out.</summary>
internal static class ProviderDefaults
{
    public const string OpenAIName = "openai";
    public const string AnthropicName = "anthropic";
    public const string OllamaName = "ollama";
    public const string SimulatedName = "simulated";

    /// <summary>Kinds in the order one becomes the default provider when none is named.</summary>
    public static readonly ProviderKind[] DefaultOrder = [ProviderKind.OpenAI, ProviderKind.Anthropic, ProviderKind.Ollama];

    public static ProviderKind? KindOf(string name, ProviderOptions options) => options.Kind ?? name.ToLowerInvariant() switch
    {
        OpenAIName => ProviderKind.OpenAI,
        AnthropicName => ProviderKind.Anthropic,
        OllamaName => ProviderKind.Ollama,
        SimulatedName => ProviderKind.Simulated,
        _ => null,
    };

    public static string BaseUrl(ProviderKind kind) => kind switch
    {
        ProviderKind.OpenAI => "https://api.openai.com/v1",
        ProviderKind.Anthropic => "https://api.anthropic.com",
        ProviderKind.Ollama => "http://localhost:11434",
        _ => "",
    };

    public static string Model(ProviderKind kind) => kind switch
    {
        ProviderKind.OpenAI => "gpt-4o-mini",
        ProviderKind.Anthropic => "claude-haiku-4-5",
        ProviderKind.Ollama => "llama3.2",
        _ => SimulatedName,
    };
}
