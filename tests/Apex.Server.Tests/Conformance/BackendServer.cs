using Apex.Contracts.Tasks;
using Apex.Testing;

namespace Apex.Server.Tests.Conformance;

/// <summary>One test's server on a backend, with a client of it; dispose stops it.</summary>
public sealed class BackendServer : IAsyncDisposable
{
    private readonly ApexBackend _backend;
    private readonly ApexAppFactory _factory;
    private readonly Action? _stopped;

    internal BackendServer(ApexBackend backend, ApexAppFactory factory, Action? stopped)
    {
        _backend = backend;
        _factory = factory;
        _stopped = stopped;
        // Creating the client starts the host, so a server that cannot start fails here rather than in the first request.
        Client = factory.CreateClient();
    }

    /// <summary>A client of the server.</summary>
    public HttpClient Client { get; }

    /// <summary>The server's services (the store, for what the API does not show).</summary>
    public IServiceProvider Services => _factory.Services;

    /// <summary>Polls until the task is running and its attempt is executing on a worker.</summary>
    public Task<TaskResponse> WaitForRunningAsync(Guid taskId, TimeSpan deadline, CancellationToken cancellationToken) =>
        _backend.WaitForRunningAsync(Client, taskId, deadline, cancellationToken);

    /// <summary>Polls until no execution runs anywhere and nothing waits to be dispatched.</summary>
    public Task WaitForIdleAsync(TimeSpan deadline, CancellationToken cancellationToken) =>
        _backend.WaitForIdleAsync(Client, deadline, cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _factory.DisposeAsync();
        _stopped?.Invoke();
    }
}
