using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Apex.Cli.Tests.Commands;

/// <summary>A real HTTP server on a free loopback port that answers with canned responses, for end-to-end CLI tests.</summary>
internal sealed class FakeApexServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<string, string, (int Status, string ContentType, string Body)> _respond;
    private readonly Task _loop;

    public FakeApexServer(Func<string, string, (int Status, string ContentType, string Body)> respond)
    {
        _respond = respond;
        Url = $"http://127.0.0.1:{FreePort()}/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public string Url { get; }

    public List<(string Method, string PathAndQuery, string Body, string? IdempotencyKey)> Requests { get; } = [];

    /// <summary>The <c>Authorization</c> header of each request, in order (null when absent).</summary>
    public List<string?> Authorizations { get; } = [];

    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var path = context.Request.Url!.PathAndQuery;
            lock (Requests)
            {
                Requests.Add((context.Request.HttpMethod, path, body, context.Request.Headers["Idempotency-Key"]));
                Authorizations.Add(context.Request.Headers["Authorization"]);
            }
            var (status, contentType, responseBody) = _respond(context.Request.HttpMethod, path);
            var bytes = Encoding.UTF8.GetBytes(responseBody);
            context.Response.StatusCode = status;
            context.Response.ContentType = contentType;
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }
}
