using Apex.Testing;

namespace Apex.Server.Tests.Conformance;

/// <summary>The embedded backend: each server has a SQLite file of its own, an in-process queue and in-process workers.</summary>
public sealed class EmbeddedBackend : ApexBackend
{
    /// <inheritdoc />
    public override Task<BackendServer> StartAsync(IReadOnlyDictionary<string, string?>? settings = null) =>
        Task.FromResult(new BackendServer(this, new ApexAppFactory(settings), stopped: null));

    /// <inheritdoc />
    public override Task WaitForIdleAsync(HttpClient client, TimeSpan deadline, CancellationToken cancellationToken) =>
        client.WaitForIdleAsync(deadline, cancellationToken);
}
