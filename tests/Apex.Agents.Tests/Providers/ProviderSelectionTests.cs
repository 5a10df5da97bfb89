using Apex.Agents.Providers;
using Apex.Testing.LlmFakes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using Xunit;

namespace Apex.Agents.Tests.Providers;

/// <summary>Which provider new agents get, from the ecosystems' variables and <c>Apex:Providers</c>.</summary>
public sealed class ProviderSelectionTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public void DefaultProvider_NothingConfigured_IsSimulated()
    {
        using var host = new ProviderHost(new Dictionary<string, string?>());

        Assert.Equal("simulated", host.Clients.DefaultProvider);
        Assert.Equal("simulated", host.Clients.DefaultModel("simulated"));
        Assert.Equal(["simulated"], host.Clients.Providers);
    }

    [Fact]
    public async Task DefaultProvider_OpenAiVariablesAlone_IsOpenAiAndReachesTheServer()
    {
        await using var fake = await OpenAiFake.StartAsync(Token);
        using var host = new ProviderHost(new Dictionary<string, string?>
        {
            ["OPENAI_BASE_URL"] = fake.BaseUrl,
            ["OPENAI_API_KEY"] = ProviderHost.ApiKey,
        });

        var provider = host.Clients.DefaultProvider;
        var model = host.Clients.DefaultModel(provider);
        var response = await host.Clients.GetClient(provider, model).GetResponseAsync("Ping", cancellationToken: Token);

        Assert.Equal("openai", provider);
        Assert.Equal("gpt-4o-mini", model);
        Assert.Equal("[fake] You said: Ping", response.Text);
        var request = Assert.Single(fake.Requests);
        Assert.Equal($"Bearer {ProviderHost.ApiKey}", request.Header("Authorization"));
        Assert.Equal(model, (string?)request.Json?["model"]);
    }

    [Fact]
    public async Task DefaultProvider_AnthropicAndOllamaVariables_PrefersAnthropic()
    {
        await using var anthropic = await AnthropicFake.StartAsync(Token);
        await using var ollama = await OllamaFake.StartAsync(Token);
        using var host = new ProviderHost(new Dictionary<string, string?>
        {
            ["ANTHROPIC_BASE_URL"] = anthropic.BaseUrl,
            ["ANTHROPIC_API_KEY"] = ProviderHost.ApiKey,
            ["OLLAMA_HOST"] = ollama.Address.Authority,
        });

        Assert.Equal("anthropic", host.Clients.DefaultProvider);
        await host.Clients.GetClient("ollama", "llama3.2").GetResponseAsync("Ping", cancellationToken: Token);
        Assert.Equal(1, ollama.RequestCount);
    }

    [Fact]
    public void DefaultProvider_ExplicitDefault_Wins()
    {
        using var host = new ProviderHost(new Dictionary<string, string?>
        {
            ["OPENAI_API_KEY"] = ProviderHost.ApiKey,
            ["OLLAMA_HOST"] = "localhost",
            ["Apex:Providers:Default"] = "ollama",
        });

        Assert.Equal("ollama", host.Clients.DefaultProvider);
        Assert.Equal("http://localhost:11434", host.Get<IOptions<ProvidersOptions>>().Value.Items["ollama"].BaseUrl);
    }

    [Fact]
    public async Task ExplicitProviderSettings_WinOverTheVariables()
    {
        await using var configured = await OpenAiFake.StartAsync(Token);
        using var host = new ProviderHost(new Dictionary<string, string?>
        {
            ["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1",
            ["OPENAI_API_KEY"] = ProviderHost.ApiKey,
            ["Apex:Providers:Items:openai:BaseUrl"] = configured.BaseUrl,
            ["Apex:Providers:Items:openai:DefaultModel"] = "gpt-custom",
        });

        await host.Clients.GetClient("openai", host.Clients.DefaultModel("openai")).GetResponseAsync("Ping", cancellationToken: Token);

        var request = Assert.Single(configured.Requests);
        Assert.Equal("gpt-custom", (string?)request.Json?["model"]);
        Assert.Equal($"Bearer {ProviderHost.ApiKey}", request.Header("Authorization"));
    }

    [Fact]
    public void Options_InvalidSettings_FailWithMessagesNamingTheKeys()
    {
        using var host = new ProviderHost(new Dictionary<string, string?>
        {
            ["Apex:Providers:Default"] = "nope",
            ["Apex:Providers:Items:fast:BaseUrl"] = "not a url",
            ["Apex:Providers:Items:fast:TimeoutSeconds"] = "0",
            ["Apex:Providers:Items:openai:DefaultModel"] = "gpt-4o",
        });

        var e = Assert.Throws<OptionsValidationException>(() => host.Get<IOptions<ProvidersOptions>>().Value);

        Assert.Contains(e.Failures, f => f.Contains("Apex:Providers:Default is 'nope'", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("Apex:Providers:Items:fast:Kind is required", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("Apex:Providers:Items:fast:BaseUrl", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("Apex:Providers:Items:fast:TimeoutSeconds", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("Apex:Providers:Items:openai:ApiKey is required", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OpenAiFake_DefaultBehaviour_AnswersAnyRequestStreamingWithUsage()
    {
        await using var fake = await OpenAiFake.StartAsync(Token);
        using var host = new ProviderHost(new Dictionary<string, string?> { ["OPENAI_BASE_URL"] = fake.BaseUrl });
        var client = host.Clients.GetClient("openai", "any-model");

        var whole = await client.GetResponseAsync("Plan a launch", cancellationToken: Token);
        var streamed = await client.GetStreamingResponseAsync("Plan a launch", cancellationToken: Token).ToChatResponseAsync(Token);

        Assert.Equal("[fake] You said: Plan a launch", whole.Text);
        Assert.Equal(whole.Text, streamed.Text);
        Assert.True(streamed.Usage?.OutputTokenCount > 0);
        Assert.Equal(whole.Usage?.OutputTokenCount, streamed.Usage?.OutputTokenCount);
    }
}
