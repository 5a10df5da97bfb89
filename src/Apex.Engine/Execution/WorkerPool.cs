using Apex.Core.Storage;
using Apex.Engine.Dispatch;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Apex.Engine.Execution;

/// <summary>
/// <see cref="EngineOptions.MaxConcurrency"/> loops, each taking the next dispatchable task from the queue and
/// executing it. Store faults are logged and retried after a pause; the task stays in the store for recovery.
/// </summary>
public sealed partial class WorkerPool(
    InProcessTaskQueue queue,
    TaskExecutor executor,
    ApexEngine engine,
    IOptions<EngineOptions> options,
    TimeProvider timeProvider,
    ILogger<WorkerPool> logger) : BackgroundService
{
    private int _active;

    /// <summary>Executions in progress.</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>Concurrency limit.</summary>
    public int Max => options.Value.RunWorkers ? options.Value.MaxConcurrency : 0;

    /// <summary>This process's worker name.</summary>
    public string WorkerId { get; } = options.Value.WorkerId ?? $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.RunWorkers)
        {
            return Task.CompletedTask;
        }
        var loops = new Task[options.Value.MaxConcurrency];
        for (var i = 0; i < loops.Length; i++)
        {
            loops[i] = Task.Run(() => LoopAsync(stoppingToken), CancellationToken.None);
        }
        return Task.WhenAll(loops);
    }

    private async Task LoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            DispatchItem item;
            try
            {
                item = await queue.DequeueAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            Interlocked.Increment(ref _active);
            try
            {
                engine.Apply(await executor.ExecuteAsync(item, WorkerId, stoppingToken, queue.TakeStarted(item.Id)));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The store refused (unavailable, busy): the task is still queued or running there, so put it back
                // after a pause rather than lose it from this process's queue.
                LogExecutionFault(e, item.Id);
                await Task.Delay(TimeSpan.FromSeconds(1), timeProvider, CancellationToken.None);
                queue.Enqueue(item with { RunAt = null });
            }
            finally
            {
                Interlocked.Decrement(ref _active);
                queue.Release(item.Agent);
            }
        }
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Error, Message = "Executing task {TaskId} failed in the engine; it is re-queued")]
    private partial void LogExecutionFault(Exception exception, Guid taskId);
}
