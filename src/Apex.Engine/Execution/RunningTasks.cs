using System.Collections.Concurrent;

namespace Apex.Engine.Execution;

/// <summary>The executions in progress in this process, so a cancel can reach them.</summary>
public sealed class RunningTasks
{
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _running = new();

    /// <summary>Executions in progress.</summary>
    public int Count => _running.Count;

    internal void Add(Guid taskId, CancellationTokenSource cancellation) => _running[taskId] = cancellation;

    internal void Remove(Guid taskId) => _running.TryRemove(taskId, out _);

    /// <summary>Signals the execution of <paramref name="taskId"/>, if it runs here.</summary>
    public void Cancel(Guid taskId)
    {
        if (_running.TryGetValue(taskId, out var cancellation))
        {
            try
            {
                cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The execution ended between the lookup and the cancel: nothing left to stop.
            }
        }
    }
}
