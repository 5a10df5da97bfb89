using System.Text.Json;
using Apex.Agents.Providers;
using Apex.Agents.Runtime;
using Apex.Testing.LlmFakes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Apex.Agents.Tests.Providers;

/// <summary>
/// What every real provider must do, run against a fake server speaking that provider's wire format through the
/// provider's own .NET client: answers, streaming, tool calls and usage flow through, and failures map to stable codes
/// with retries and a circuit breaker.
/// </summary>
public abstract class ProviderContractTests
{
    protected const string Name = "llm";
    protected const string Model = "test-model";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    protected abstract string Kind { get; }

    protected abstract Task<LlmFake> StartFakeAsync();

    /// <summary>Asserts the key went in the provider's auth header.</summary>
    protected abstract void AssertAuthenticated(RecordedRequest request);

    [Fact]
    public async Task GetResponse_Success_ReturnsTextAndUsage()
    {
        await using var fake = await StartFakeAsync();
        fake.Enqueue(FakeReply.WithText("Hello from the fake.", inputTokens: 12, outputTokens: 7));
        using var host = Host(fake);

        var response = await host.Clients.GetClient(Name, Model).GetResponseAsync(
            [new(ChatRole.System, "You are terse."), new(ChatRole.User, "Say hello")], cancellationToken: Token);

        Assert.Equal("Hello from the fake.", response.Text);
        Assert.Equal(12, response.Usage?.InputTokenCount);
        Assert.Equal(7, response.Usage?.OutputTokenCount);
        var request = Assert.Single(fake.Requests);
        Assert.Equal(Model, (string?)request.Json?["model"]);
        Assert.Contains("Say hello", request.Body, StringComparison.Ordinal);
        Assert.Contains("You are terse.", request.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetStreamingResponse_Success_StreamsTextInPiecesWithUsage()
    {
        await using var fake = await StartFakeAsync();
        fake.Enqueue(FakeReply.WithText("One two three four.", inputTokens: 20, outputTokens: 4));
        using var host = Host(fake);

        List<ChatResponseUpdate> updates = [];
        await foreach (var update in host.Clients.GetClient(Name, Model).GetStreamingResponseAsync("Count to four", cancellationToken: Token))
        {
            updates.Add(update);
        }
        var response = updates.ToChatResponse();

        Assert.True(updates.Count(u => u.Text.Length > 0) >= 4, $"Expected the text in pieces, got {updates.Count} update(s).");
        Assert.Equal("One two three four.", response.Text);
        Assert.Equal(20, response.Usage?.InputTokenCount);
        Assert.Equal(4, response.Usage?.OutputTokenCount);
        Assert.Equal(true, Assert.Single(fake.Requests).Json?["stream"]?.GetValue<bool>());
    }

    [Fact]
    public async Task GetResponse_ToolCall_ReturnsFunctionCallContent()
    {
        await using var fake = await StartFakeAsync();
        fake.Enqueue(FakeReply.WithToolCall("get_weather", """{"location":"Paris"}"""));
        using var host = Host(fake);

        var response = await host.Clients.GetClient(Name, Model).GetResponseAsync("Weather in Paris?", Tools(), Token);

        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("Paris", Argument(call, "location"));
        Assert.Contains("get_weather", Assert.Single(fake.Requests).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetStreamingResponse_ToolCall_AssemblesFunctionCallContent()
    {
        await using var fake = await StartFakeAsync();
        fake.Enqueue(FakeReply.WithToolCall("get_weather", """{"location":"Paris","unit":"celsius"}"""));
        using var host = Host(fake);

        var response = await host.Clients.GetClient(Name, Model).GetStreamingResponseAsync("Weather in Paris?", Tools(), Token).ToChatResponseAsync(Token);

        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("Paris", Argument(call, "location"));
        Assert.Equal("celsius", Argument(call, "unit"));
    }

    [Fact]
    public async Task Request_ApiKey_TravelsOnlyInTheAuthHeader()
    {
        await using var fake = await StartFakeAsync();
        using var host = Host(fake);

        await host.Clients.GetClient(Name, Model).GetResponseAsync("Hello", cancellationToken: Token);

        var request = Assert.Single(fake.Requests);
        AssertAuthenticated(request);
        Assert.DoesNotContain(ProviderHost.ApiKey, request.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetResponse_RateLimitedWithRetryAfter_RetriesAfterThatLongThenSucceeds()
    {
        await using var fake = await StartFakeAsync();
        fake.Enqueue(FakeReply.Error(429, retryAfter: TimeSpan.FromSeconds(1)), FakeReply.WithText("Worth the wait."));
        using var host = Host(fake);

        var response = await host.Clients.GetClient(Name, Model).GetResponseAsync("Hello", cancellationToken: Token);

        Assert.Equal("Worth the wait.", response.Text);
        var requests = fake.Requests;
        Assert.Equal(2, requests.Count);
        var waited = requests[1].ElapsedSince(requests[0]);
        Assert.InRange(waited, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task GetResponse_RateLimitedWithoutRetries_ThrowsRateLimitedCarryingRetryAfter()
    {
        await using var fake = await StartFakeAsync();
        fake.Enqueue(FakeReply.Error(429, retryAfter: TimeSpan.FromSeconds(7)));
        using var host = Host(fake, maxRetries: 0);

        var e = await Assert.ThrowsAsync<AgentExecutionException>(() => host.Clients.GetClient(Name, Model).GetResponseAsync("Hello", cancellationToken: Token));

        Assert.Equal(ProviderErrorCodes.RateLimited, e.Code);
        Assert.True(e.Retryable);
        Assert.Equal(TimeSpan.FromSeconds(7), e.RetryAfter);
    }

    [Fact]
    public async Task GetResponse_ServerErrors_AreRetriedThenProviderUnavailable()
    {
        await using var fake = await StartFakeAsync();
        fake.Enqueue(FakeReply.Error(503), FakeReply.Error(500), FakeReply.Error(502), FakeReply.Error(503));
        using var host = Host(fake, maxRetries: 3);

        var e = await Assert.ThrowsAsync<AgentExecutionException>(() => host.Clients.GetClient(Name, Model).GetResponseAsync("Hello", cancellationToken: Token));

        Assert.Equal(ProviderErrorCodes.Unavailable, e.Code);
        Assert.True(e.Retryable);
        Assert.Equal(4, fake.RequestCount);
    }

    [Fact]
    public async Task GetStreamingResponse_ServerErrorBeforeFirstUpdate_IsRetried()
    {
        await using var fake = await StartFakeAsync();
        fake.Enqueue(FakeReply.Error(503), FakeReply.WithText("Second time lucky."));
        using var host = Host(fake);

        var response = await host.Clients.GetClient(Name, Model).GetStreamingResponseAsync("Hello", cancellationToken: Token).ToChatResponseAsync(Token);

        Assert.Equal("Second time lucky.", response.Text);
        Assert.Equal(2, fake.RequestCount);
    }

    [Fact]
    public async Task GetResponse_MalformedBody_ThrowsProviderBadResponse()
    {
        await using var fake = await StartFakeAsync();
        fake.Enqueue(FakeReply.Malformed());
        using var host = Host(fake, maxRetries: 0);

        var e = await Assert.ThrowsAsync<AgentExecutionException>(() => host.Clients.GetClient(Name, Model).GetResponseAsync("Hello", cancellationToken: Token));

        Assert.Equal(ProviderErrorCodes.BadResponse, e.Code);
        Assert.True(e.Retryable);
    }

    [Fact]
    public async Task GetResponse_SlowerThanTheTimeout_ThrowsProviderTimeout()
    {
        await using var fake = await StartFakeAsync();
        fake.Enqueue(FakeReply.Slow(TimeSpan.FromSeconds(30)));
        using var host = Host(fake, maxRetries: 0, timeoutSeconds: 0.5);

        var e = await Assert.ThrowsAsync<AgentExecutionException>(() => host.Clients.GetClient(Name, Model).GetResponseAsync("Hello", cancellationToken: Token));

        Assert.Equal(ProviderErrorCodes.Timeout, e.Code);
        Assert.True(e.Retryable);
    }

    [Fact]
    public async Task GetResponse_Unauthorized_ThrowsAuthFailedWithoutRetryOrKey()
    {
        await using var fake = await StartFakeAsync();
        fake.Enqueue(FakeReply.Error(401, message: $"Incorrect API key provided: {ProviderHost.ApiKey}"));
        using var host = Host(fake);

        var e = await Assert.ThrowsAsync<AgentExecutionException>(() => host.Clients.GetClient(Name, Model).GetResponseAsync("Hello", cancellationToken: Token));

        Assert.Equal(ProviderErrorCodes.AuthFailed, e.Code);
        Assert.False(e.Retryable);
        Assert.Equal(1, fake.RequestCount);
        Assert.DoesNotContain(ProviderHost.ApiKey, e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetResponse_BadRequest_ThrowsBadRequestWithTheProvidersReason()
    {
        await using var fake = await StartFakeAsync();
        fake.Enqueue(FakeReply.Error(400, message: "model 'test-model' does not exist"));
        using var host = Host(fake);

        var e = await Assert.ThrowsAsync<AgentExecutionException>(() => host.Clients.GetClient(Name, Model).GetResponseAsync("Hello", cancellationToken: Token));

        Assert.Equal(ProviderErrorCodes.BadRequest, e.Code);
        Assert.False(e.Retryable);
        Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, fake.RequestCount);
    }

    [Fact]
    public async Task GetResponse_NothingListening_ThrowsProviderUnavailable()
    {
        var fake = await StartFakeAsync();
        await fake.DisposeAsync();
        using var host = Host(fake, maxRetries: 0);

        var e = await Assert.ThrowsAsync<AgentExecutionException>(() => host.Clients.GetClient(Name, Model).GetResponseAsync("Hello", cancellationToken: Token));

        Assert.Equal(ProviderErrorCodes.Unavailable, e.Code);
    }

    [Fact]
    public async Task CircuitBreaker_AfterFiveFailures_StopsCallingTheProviderWhileOpen()
    {
        await using var fake = await StartFakeAsync();
        fake.Enqueue([.. Enumerable.Repeat(FakeReply.Error(503), 5)]);
        using var host = Host(fake, maxRetries: 0);
        var client = host.Clients.GetClient(Name, Model);

        for (var i = 0; i < 5; i++)
        {
            var failure = await Assert.ThrowsAsync<AgentExecutionException>(() => client.GetResponseAsync("Hello", cancellationToken: Token));
            Assert.Equal(ProviderErrorCodes.Unavailable, failure.Code);
        }
        for (var i = 0; i < 3; i++)
        {
            var open = await Assert.ThrowsAsync<AgentExecutionException>(() => client.GetResponseAsync("Hello", cancellationToken: Token));
            Assert.Equal(ProviderErrorCodes.CircuitOpen, open.Code);
            Assert.True(open.Retryable);
        }
        var streamed = await Assert.ThrowsAsync<AgentExecutionException>(() => client.GetStreamingResponseAsync("Hello", cancellationToken: Token).ToChatResponseAsync(Token));
        Assert.Equal(ProviderErrorCodes.CircuitOpen, streamed.Code);

        Assert.Equal(5, fake.RequestCount);
    }

    [Fact]
    public async Task CircuitBreaker_AfterTheBreak_LetsATrialCallThroughAndCloses()
    {
        await using var fake = await StartFakeAsync();
        fake.Enqueue([.. Enumerable.Repeat(FakeReply.Error(500), 5)]);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = Host(fake, maxRetries: 0, timeProvider: time);
        var client = host.Clients.GetClient(Name, Model);
        for (var i = 0; i < 5; i++)
        {
            await Assert.ThrowsAsync<AgentExecutionException>(() => client.GetResponseAsync("Hello", cancellationToken: Token));
        }

        time.Advance(TimeSpan.FromSeconds(31));
        var response = await client.GetResponseAsync("Hello again", cancellationToken: Token);

        Assert.StartsWith("[fake]", response.Text, StringComparison.Ordinal);
        Assert.Equal(6, fake.RequestCount);
        await client.GetResponseAsync("And again", cancellationToken: Token);
        Assert.Equal(7, fake.RequestCount);
    }

    private ProviderHost Host(LlmFake fake, int maxRetries = 3, double timeoutSeconds = 10, TimeProvider? timeProvider = null) => new(new Dictionary<string, string?>
    {
        [$"Apex:Providers:Items:{Name}:Kind"] = Kind,
        [$"Apex:Providers:Items:{Name}:BaseUrl"] = fake.BaseUrl,
        [$"Apex:Providers:Items:{Name}:ApiKey"] = ProviderHost.ApiKey,
        [$"Apex:Providers:Items:{Name}:MaxRetries"] = maxRetries.ToString(System.Globalization.CultureInfo.InvariantCulture),
        [$"Apex:Providers:Items:{Name}:RetryBaseDelaySeconds"] = "0.01",
        [$"Apex:Providers:Items:{Name}:TimeoutSeconds"] = timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    }, timeProvider);

    private static ChatOptions Tools() => new()
    {
        Tools = [AIFunctionFactory.Create((string location, string? unit) => $"Sunny in {location}", "get_weather", "Current weather of a city.")],
    };

    private static string? Argument(FunctionCallContent call, string name) => call.Arguments?[name] switch
    {
        JsonElement element => element.GetString(),
        var value => value?.ToString(),
    };
}
