using System.Net;
using System.Net.WebSockets;
using System.Text;
using Apex.Core.Security;
using Apex.Server.Tests.Live;
using Apex.Testing;
using Xunit;

namespace Apex.Server.Tests.Security;

/// <summary>The WebSocket and the event streams over a real socket: the credential is checked before the upgrade.</summary>
public sealed class LiveAuthTests : IAsyncLifetime
{
    private readonly string _bootstrap = ApiKeyFormat.Generate();
    private LiveServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _server = LiveServer.Start(new Dictionary<string, string?> { ["Apex:Auth:BootstrapAdminKey"] = _bootstrap });
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private async Task<(ClientWebSocket Socket, HttpStatusCode Status)> ConnectAsync(Action<ClientWebSocketOptions>? configure = null, string query = "")
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        configure?.Invoke(socket.Options);
        try
        {
            await socket.ConnectAsync(new Uri(_server.Ws + query), Ct);
        }
        catch (WebSocketException)
        {
            // The refused handshake: its status is in HttpStatusCode.
        }
        return (socket, socket.HttpStatusCode);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("bad header")]
    [InlineData("bad subprotocol")]
    [InlineData("bad query")]
    public async Task WebSocket_WithoutAGoodCredential_Is401BeforeTheUpgrade(string how)
    {
        var wrong = ApiKeyFormat.Generate();
        var (socket, status) = await ConnectAsync(o =>
        {
            if (how == "bad header")
            {
                o.SetRequestHeader("Authorization", $"Bearer {wrong}");
            }
            else if (how == "bad subprotocol")
            {
                o.AddSubProtocol("apex");
                o.AddSubProtocol($"apex.bearer.{wrong}");
            }
        }, how == "bad query" ? $"?access_token={wrong}" : "");
        using (socket)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, status);
            Assert.NotEqual(WebSocketState.Open, socket.State);
        }
    }

    [Fact]
    public async Task WebSocket_Refusal_IsProblemJson()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/ws");
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new System.Net.Http.Headers.ProductHeaderValue("websocket"));
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(Encoding.ASCII.GetBytes("0123456789abcdef")));
        using var response = await _server.Client.SendAsync(request, Ct);
        var problem = await Problem.ReadAsync(response, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, problem.Status);
        Assert.Equal("unauthenticated", problem.Code);
    }

    [Theory]
    [InlineData("header")]
    [InlineData("subprotocol")]
    [InlineData("query")]
    public async Task WebSocket_WithAGoodCredential_Opens_AndServes(string how)
    {
        var (socket, status) = await ConnectAsync(o =>
        {
            if (how == "header")
            {
                o.SetRequestHeader("Authorization", $"Bearer {_bootstrap}");
            }
            else if (how == "subprotocol")
            {
                o.AddSubProtocol("apex");
                o.AddSubProtocol($"apex.bearer.{_bootstrap}");
            }
        }, how == "query" ? $"?access_token={_bootstrap}" : "");
        using (socket)
        {
            Assert.Equal(HttpStatusCode.SwitchingProtocols, status);
            Assert.Equal(WebSocketState.Open, socket.State);
            Assert.Equal(how == "subprotocol" ? "apex" : null, socket.SubProtocol);
            await socket.SendAsync(Encoding.UTF8.GetBytes("""{"type":"ping","id":"p1"}"""), WebSocketMessageType.Text, true, Ct);
            var buffer = new byte[4096];
            var received = await socket.ReceiveAsync(buffer, Ct);
            Assert.Contains("\"pong\"", Encoding.UTF8.GetString(buffer, 0, received.Count), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Sse_TakesItsCredentialFromTheUrl_PlainRoutesDoNot()
    {
        var task = Guid.NewGuid();
        using var anonymous = await _server.Client.GetAsync($"/api/v1/tasks/{task}/stream", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var wrong = await _server.Client.GetAsync($"/api/v1/tasks/{task}/stream?access_token={ApiKeyFormat.Generate()}", Ct);
        Assert.Equal("invalid_credentials", (await Problem.ReadAsync(wrong, Ct)).Code);
        using var good = await _server.Client.GetAsync($"/api/v1/tasks/{task}/stream?access_token={_bootstrap}", Ct);
        Assert.Equal("task_not_found", (await Problem.ReadAsync(good, Ct)).Code);
        using var dag = await _server.Client.GetAsync($"/api/v1/dags/{task}/stream?access_token={_bootstrap}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, dag.StatusCode);
        using var plain = await _server.Client.GetAsync($"/api/v1/tasks?access_token={_bootstrap}", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, plain.StatusCode);
    }
}
