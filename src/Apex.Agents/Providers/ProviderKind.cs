namespace Apex.Agents.Providers;

/// <summary>The wire protocol a provider speaks, which decides the client that talks to it.</summary>
public enum ProviderKind
{
    /// <summary>The built-in deterministic stand-in; no network.</summary>
    Simulated,

    /// <summary>OpenAI Chat Completions (<c>POST {BaseUrl}/chat/completions</c>): OpenAI, Azure OpenAI v1, vLLM, LM Studio, Ollama <c>/v1</c>.</summary>
    OpenAI,

    /// <summary>Anthropic Messages (<c>POST {BaseUrl}/v1/messages</c>).</summary>
    Anthropic,

    /// <summary>Ollama's native chat API (<c>POST {BaseUrl}/api/chat</c>).</summary>
    Ollama,
}
