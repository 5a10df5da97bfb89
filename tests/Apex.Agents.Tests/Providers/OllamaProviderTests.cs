using Apex.Testing.LlmFakes;
using Xunit;

namespace Apex.Agents.Tests.Providers;

/// <summary>Ollama takes no key; one configured anyway must not be sent anywhere.</summary>
public sealed class OllamaProviderTests : ProviderContractTests
{
    protected override string Kind => "ollama";

    protected override async Task<LlmFake> StartFakeAsync() => await OllamaFake.StartAsync(TestContext.Current.CancellationToken);

    protected override void AssertAuthenticated(RecordedRequest request) =>
        Assert.DoesNotContain(request.Headers.Values, value => value.Contains(ProviderHost.ApiKey, StringComparison.Ordinal));
}
