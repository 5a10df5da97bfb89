using Apex.Testing;

namespace Apex.Server.Tests;

/// <summary>One in-memory server shared by the tests of a class that neither count everything nor need an idle engine.</summary>
public sealed class ServerFixture : IAsyncDisposable
{
    private readonly ApexAppFactory _factory = new();

    /// <summary>The shared server.</summary>
    public ApexAppFactory Factory => _factory;

    /// <summary>A client of the shared server.</summary>
    public HttpClient CreateClient() => _factory.CreateClient();

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _factory.DisposeAsync();
}
