using Apex.Contracts.Tasks;
using Apex.Testing;
using Xunit;

namespace Apex.Server.Tests.Conformance;

/// <summary>
/// A backend the conformance suite runs on. Each suite class is abstract and declares two nested concrete classes,
/// <c>Embedded</c> and <c>Distributed</c>, that hand it a backend: a behaviour one backend passes and the other does not
/// is a bug in one of them. A test starts a fresh server of its own; the two waits whose evidence differs by backend
/// (a task running on a worker; nothing left running or waiting) are the backend's.
/// </summary>
public abstract class ApexBackend : IAsyncLifetime
{
    private static readonly IReadOnlySet<TaskState> Running = new HashSet<TaskState> { TaskState.Running };

    /// <summary>
    /// Starts a server with the test defaults of <see cref="ApexAppFactory"/> (the Simulated provider answering at once),
    /// overridden by <paramref name="settings"/>, on an empty store.
    /// </summary>
    public abstract Task<BackendServer> StartAsync(IReadOnlyDictionary<string, string?>? settings = null);

    /// <summary>Polls until the task is running and its attempt is executing on a worker; returns the task as then seen.</summary>
    public virtual Task<TaskResponse> WaitForRunningAsync(HttpClient client, Guid taskId, TimeSpan deadline, CancellationToken cancellationToken) =>
        client.WaitForTaskAsync(taskId, Running, deadline, cancellationToken);

    /// <summary>Polls until no execution runs anywhere and nothing waits to be dispatched, ready or delayed.</summary>
    /// <exception cref="TimeoutException">The deadline passed; the message holds the last figures seen.</exception>
    public abstract Task WaitForIdleAsync(HttpClient client, TimeSpan deadline, CancellationToken cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask InitializeAsync() => ValueTask.CompletedTask;

    /// <inheritdoc />
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
