using System.Diagnostics;
using Apex.Server.Tests.Live;
using Xunit;

namespace Apex.Server.Tests.Hardening;

/// <summary>
/// Kestrel's limits against slow and oversized clients (slowloris), with short test settings, on a real listener: the
/// in-memory test server enforces none of them.
/// </summary>
public sealed class SlowClientTests : IAsyncLifetime
{
    private static readonly TimeSpan HeadersTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);

    /// <summary>Kestrel checks its timeouts once a second; a shared two-core machine adds its own delay.</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(3);

    private LiveServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _server = LiveServer.Start(new Dictionary<string, string?>
        {
            ["Apex:Api:RequestHeadersTimeout"] = HeadersTimeout.ToString(),
            ["Apex:Api:KeepAliveTimeout"] = KeepAlive.ToString(),
            ["Apex:Api:MinRequestBodyBytesPerSecond"] = "1000",
            ["Apex:Api:MinRequestBodyGracePeriod"] = Grace.ToString(),
            ["Apex:Api:MaxRequestHeaderCount"] = "20",
            ["Apex:Api:MaxRequestHeadersTotalBytes"] = "4096",
            ["Apex:Api:MaxRequestLineBytes"] = "2048",
        });
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task HeadersDribbled_SlowerThanTheTimeout_ConnectionIsClosedWithinIt()
    {
        await using var connection = await RawHttpConnection.OpenAsync(_server.Http, Ct);
        var clock = Stopwatch.StartNew();
        await connection.SendAsync("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", Ct);
        var answer = connection.ReadResponseAsync(Ct);

        // One byte every 200 ms, for up to 20 s: the head never ends unless the server ends it.
        var dribbled = await DribbleAsync(connection, answer, "a"u8.ToArray(), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(20));

        var response = await answer;
        Assert.True(clock.Elapsed < HeadersTimeout + Slack, $"closed after {clock.Elapsed}");
        Assert.True(clock.Elapsed > HeadersTimeout - TimeSpan.FromMilliseconds(500), $"closed after {clock.Elapsed}, before the timeout");
        Assert.True(dribbled > 3, $"only {dribbled} bytes dribbled");
        Assert.True(response is null || response.Status == 408, $"answered {response}");
    }

    [Fact]
    public async Task HeadersDribbled_WithinTheTimeout_AreServed()
    {
        await using var connection = await RawHttpConnection.OpenAsync(_server.Http, Ct);
        await connection.SendAsync("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", Ct);
        for (var i = 0; i < 4; i++)
        {
            await Task.Delay(200, Ct);
            await connection.SendAsync("a", Ct);
        }
        await connection.SendAsync("\r\n\r\n", Ct);

        var response = await connection.ReadResponseAsync(Ct);

        Assert.Equal(200, response?.Status);
    }

    [Fact]
    public async Task BodyDribbled_BelowTheMinimumRate_Gets408ProblemAndTheConnectionCloses()
    {
        await using var connection = await RawHttpConnection.OpenAsync(_server.Http, Ct);
        var clock = Stopwatch.StartNew();
        await connection.SendAsync(RawHttpConnection.Head("POST", "/api/v1/tasks", "Content-Type: application/json", "Content-Length: 100000")
            + "{\"instruction\": \"", Ct);
        var answer = connection.ReadResponseAsync(Ct);

        // 10 bytes every 250 ms: 40 B/s against a minimum of 1,000 B/s.
        await DribbleAsync(connection, answer, "xxxxxxxxxx"u8.ToArray(), TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(20));

        var response = await answer;
        Assert.True(clock.Elapsed < Grace + Slack, $"answered after {clock.Elapsed}");
        Assert.NotNull(response);
        Assert.Equal(408, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Contains("\"request_timeout\"", response.Body, StringComparison.Ordinal);
        Assert.True(await connection.ClosedWithinAsync(Slack, Ct), "the connection stayed open");
    }

    [Fact]
    public async Task Body_AtAnOrdinaryRate_IsServed()
    {
        await using var connection = await RawHttpConnection.OpenAsync(_server.Http, Ct);
        var body = "{\"instruction\": \"hello\"}";
        await connection.SendAsync(RawHttpConnection.Head("POST", "/api/v1/tasks", "Content-Type: application/json", $"Content-Length: {body.Length}") + body, Ct);

        var response = await connection.ReadResponseAsync(Ct);

        Assert.Equal(201, response?.Status);
    }

    [Fact]
    public async Task IdleKeepAliveConnection_IsClosedAfterTheKeepAliveTimeout()
    {
        await using var connection = await RawHttpConnection.OpenAsync(_server.Http, Ct);
        await connection.SendAsync(RawHttpConnection.Head("GET", "/health/live"), Ct);
        Assert.Equal(200, (await connection.ReadResponseAsync(Ct))?.Status);
        var clock = Stopwatch.StartNew();

        Assert.True(await connection.ClosedWithinAsync(KeepAlive + Slack, Ct), "the idle connection stayed open");
        Assert.True(clock.Elapsed > KeepAlive - TimeSpan.FromSeconds(1), $"closed after {clock.Elapsed}, before the keep-alive timeout");
    }

    [Theory]
    [InlineData("count", 431)]
    [InlineData("size", 431)]
    [InlineData("line", 414)]
    public async Task OversizedHead_IsRefused(string what, int status)
    {
        await using var connection = await RawHttpConnection.OpenAsync(_server.Http, Ct);
        var head = what switch
        {
            "count" => RawHttpConnection.Head("GET", "/health/live", [.. Enumerable.Range(0, 21).Select(i => $"X-H{i}: v")]),
            "size" => RawHttpConnection.Head("GET", "/health/live", $"X-Big: {new string('v', 5000)}"),
            _ => RawHttpConnection.Head("GET", "/health/live?q=" + new string('v', 3000)),
        };
        await connection.SendAsync(head, Ct);

        var response = await connection.ReadResponseAsync(Ct);

        Assert.Equal(status, response?.Status);
    }

    /// <summary>Sends <paramref name="piece"/> every <paramref name="every"/> until the server answers or closes, or <paramref name="longest"/> passes; the pieces sent.</summary>
    private static async Task<int> DribbleAsync(RawHttpConnection connection, Task answer, byte[] piece, TimeSpan every, TimeSpan longest)
    {
        var clock = Stopwatch.StartNew();
        var sent = 0;
        while (!answer.IsCompleted && clock.Elapsed < longest)
        {
            await Task.WhenAny(answer, Task.Delay(every, Ct));
            if (answer.IsCompleted)
            {
                break;
            }
            try
            {
                await connection.SendAsync(piece, Ct);
                sent++;
            }
            catch (IOException)
            {
                break; // Closed by the server: the answer task ends too.
            }
        }
        return sent;
    }
}
