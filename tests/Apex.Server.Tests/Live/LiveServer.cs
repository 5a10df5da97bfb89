using Apex.Testing;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Apex.Server.Tests.Live;

/// <summary>
/// The API host on real Kestrel on a loopback port of its own (WebSockets need a real socket for backpressure and
/// close codes), on a SQLite file of its own unless the settings name PostgreSQL.
/// </summary>
internal sealed class LiveServer : IAsyncDisposable
{
    private readonly ApexAppFactory _factory;

    private LiveServer(ApexAppFactory factory, Uri http)
    {
        _factory = factory;
        Http = http;
        Client = new HttpClient { BaseAddress = http, Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>The server's base address, <c>http://127.0.0.1:port/</c>.</summary>
    public Uri Http { get; }

    /// <summary>The WebSocket endpoint.</summary>
    public Uri Ws => new($"ws://{Http.Authority}/api/v1/ws");

    /// <summary>An HTTP client of the server (over the real socket).</summary>
    public HttpClient Client { get; }

    public IServiceProvider Services => _factory.Services;

    public T Get<T>()
        where T : notnull => _factory.Services.GetRequiredService<T>();

    public static LiveServer Start(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var factory = new ApexAppFactory(settings);
        factory.UseKestrel(0);
        factory.StartServer();
        var address = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        // Kestrel reports the bound address (http://127.0.0.1:port or http://[::1]:port); clients use it as it is.
        return new LiveServer(factory, new Uri(address.Replace("localhost", "127.0.0.1", StringComparison.Ordinal) + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _factory.DisposeAsync();
    }
}
