using Apex.Testing.LlmFakes;
using Xunit;

namespace Apex.Agents.Tests.Providers;

public sealed class OpenAiProviderTests : ProviderContractTests
{
    protected override string Kind => "openai";

    protected override async Task<LlmFake> StartFakeAsync() => await OpenAiFake.StartAsync(TestContext.Current.CancellationToken);

    protected override void AssertAuthenticated(RecordedRequest request) =>
        Assert.Equal($"Bearer {ProviderHost.ApiKey}", request.Header("Authorization"));
}
