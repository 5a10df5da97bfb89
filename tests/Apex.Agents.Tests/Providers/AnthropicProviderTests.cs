using Apex.Testing.LlmFakes;
using Xunit;

namespace Apex.Agents.Tests.Providers;

public sealed class AnthropicProviderTests : ProviderContractTests
{
    protected override string Kind => "anthropic";

    protected override async Task<LlmFake> StartFakeAsync() => await AnthropicFake.StartAsync(TestContext.Current.CancellationToken);

    /// <summary>The official SDK (13.x, API version 2026-10-21) sends the key as a bearer token, not <c>x-api-key</c>.</summary>
    protected override void AssertAuthenticated(RecordedRequest request)
    {
        Assert.Equal($"Bearer {ProviderHost.ApiKey}", request.Header("Authorization"));
        Assert.NotNull(request.Header("anthropic-version"));
    }
}
