using Apex.Testing;
using Apex.Agents.Providers;
using Apex.Agents.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Xunit;

namespace Apex.Agents.Tests.Security;

public sealed partial class SecretRedactionServiceCollectionExtensionsTests
{
    private const string ItemKey = "item-key-0123456789";
    private const string EnvKey = "env-key-abcdefghijkl";
    private const string CodeKey = "code-key-zyxwvutsrq";
    private static readonly string PatternKey = FakeSecrets.OpenAiProject("ABCDEFGHIJKLMNOPQRSTUVWX");

    [Fact]
    public void AddApexSecretRedaction_LogLineWithKeys_ReachesTheProviderRedacted()
    {
        var (services, recorder) = Build();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("test");

        Calling(logger, "openai", $"Bearer {ItemKey}");
        logger.LogWarning("keys {First} and {Second}", EnvKey, PatternKey);

        var lines = recorder.Lines.ToArray();
        Assert.Equal(2, lines.Length);
        Assert.All(lines, line =>
        {
            Assert.DoesNotContain(ItemKey, line, StringComparison.Ordinal);
            Assert.DoesNotContain(EnvKey, line, StringComparison.Ordinal);
            Assert.DoesNotContain(PatternKey, line, StringComparison.Ordinal);
            Assert.Contains(SecretRedactor.Mask, line, StringComparison.Ordinal);
        });
        Assert.Contains("Calling openai", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void AddApexSecretRedaction_LoggedExceptionWithKey_IsRedactedAndKeepsItsStack()
    {
        var (services, recorder) = Build();
        var logger = services.GetRequiredService<ILogger<SecretRedactionServiceCollectionExtensionsTests>>();
        Exception thrown;
        try
        {
            throw new InvalidOperationException("outer", new HttpRequestException($"401 for key {EnvKey}"));
        }
        catch (InvalidOperationException e)
        {
            thrown = e;
        }

        logger.LogError(thrown, "Call failed");

        var line = Assert.Single(recorder.Lines);
        Assert.DoesNotContain(EnvKey, line, StringComparison.Ordinal);
        Assert.Contains("HttpRequestException: 401 for key " + SecretRedactor.Mask, line, StringComparison.Ordinal);
        Assert.Contains(nameof(AddApexSecretRedaction_LoggedExceptionWithKey_IsRedactedAndKeepsItsStack), line, StringComparison.Ordinal);
    }

    [Fact]
    public void AddApexSecretRedaction_KeySetInCode_IsRegisteredWhenTheProvidersAreBuilt()
    {
        var (services, recorder) = Build(s => s.Configure<ProvidersOptions>(o => o.Items["local"] = new ProviderOptions { Kind = ProviderKind.OpenAI, ApiKey = CodeKey }));
        _ = services.GetRequiredService<IOptions<ProvidersOptions>>().Value;

        services.GetRequiredService<ILoggerFactory>().CreateLogger("test").LogInformation("key {Key}", CodeKey);

        Assert.DoesNotContain(CodeKey, Assert.Single(recorder.Lines), StringComparison.Ordinal);
    }

    [Fact]
    public void AddApexSecretRedaction_CleanLine_PassesTheOriginalState()
    {
        var (services, recorder) = Build();

        services.GetRequiredService<ILoggerFactory>().CreateLogger("test").LogInformation("nothing secret in {Value}", 42);

        Assert.Contains("nothing secret in 42 Value=42, {OriginalFormat}=nothing secret in {Value}", Assert.Single(recorder.Lines), StringComparison.Ordinal);
    }

    private static (ServiceProvider Services, RecordingLoggerProvider Recorder) Build(Action<IServiceCollection>? configure = null)
    {
        var recorder = new RecordingLoggerProvider();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Apex:Providers:Items:openai:ApiKey"] = ItemKey,
            ["ANTHROPIC_API_KEY"] = EnvKey + " ",
        }).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging(b => b.AddProvider(recorder).SetMinimumLevel(LogLevel.Trace));
        services.AddApexAgents();
        configure?.Invoke(services);
        services.AddApexSecretRedaction();
        return (services.BuildServiceProvider(), recorder);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Calling {Provider} with {Header}")]
    private static partial void Calling(ILogger logger, string provider, string header);
}
