using Apex.Server.Tests.Live;
using Xunit;

namespace Apex.Server.Tests.Hardening;

/// <summary>One server with the default settings on real Kestrel (whose limits the in-memory test server lacks), shared by a test class.</summary>
public sealed class KestrelServerFixture : IAsyncLifetime
{
    internal LiveServer Server { get; private set; } = null!;

    public ValueTask InitializeAsync()
    {
        Server = LiveServer.Start();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
