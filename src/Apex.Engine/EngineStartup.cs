using Apex.Core.Storage;
using Apex.Engine.Agents;
using Apex.Engine.Dispatch;
using Apex.Engine.Execution;
using Apex.Engine.Tenants;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Apex.Engine;

/// <summary>
/// Runs before the workers: migrates the store, loads agents and tenants, and re-dispatches whatever a previous process left
/// queued or running (the running ones come back as attempt + 1).
/// </summary>
internal sealed partial class EngineStartup(
    IApexStore store,
    AgentCatalog agents,
    TenantDirectory tenants,
    ITaskDispatcher dispatcher,
    WorkerPool workers,
    InProcessTaskQueue queue,
    IOptions<EngineOptions> options,
    ILogger<EngineStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.InitializeAsync(cancellationToken);
        if (options.Value.EagerStart && store is IEagerStartStore eager && EagerStarts() is { } starts)
        {
            eager.UseEagerStarts(starts);
        }
        await agents.LoadAsync(cancellationToken);
        await tenants.LoadAsync(cancellationToken);
        if (!options.Value.RecoverOnStart)
        {
            LogStarted(store.Backend, 0);
            return;
        }
        var pending = await store.RecoverAsync(workers.WorkerId, cancellationToken);
        dispatcher.Dispatch(pending);
        LogStarted(store.Backend, pending.Count);
    }

    /// <summary>Who takes the tasks a store starts in the write that made them ready: this process's workers, or the dispatcher.</summary>
    private IEagerStarts? EagerStarts() => dispatcher switch
    {
        InProcessDispatcher when options.Value.RunWorkers => new EagerStarts(queue, workers.WorkerId),
        IEagerStarts starts => starts,
        _ => null,
    };

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 2201, Level = LogLevel.Information, Message = "Apex engine started on {Backend}; {Count} queued task(s) re-dispatched")]
    private partial void LogStarted(string backend, int count);
}
