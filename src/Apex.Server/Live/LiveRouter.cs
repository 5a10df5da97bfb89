using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Apex.Core;
using Apex.Core.Errors;
using Apex.Core.Events;
using Apex.Core.Storage;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Apex.Server.Live;

/// <summary>
/// Resolves each event once for every subscription that sees it: which task it concerns and that task's agent (task
/// events carry the agent in <c>task_created</c> only; approval events carry the task in <c>approval_requested</c>
/// only). Remembers both in a bounded cache fed by the events themselves, so the store is read only for tasks created
/// before this server started.
/// </summary>
internal sealed class LiveRouter(IApexStore store, IOptions<LiveOptions> options, ILogger<LiveRouter> logger) : IDisposable
{
    private readonly ConditionalWeakTable<StoredEvent, Lazy<Task<LiveEvent>>> _resolved = new();
    private readonly MemoryCache _agents = new(new MemoryCacheOptions { SizeLimit = options.Value.AgentCacheSize });
    private readonly MemoryCacheEntryOptions _entry = new() { Size = 1 };

    /// <summary>
    /// The resolved event; every subscription that offers the same published instance shares one resolution and one
    /// serialization (the bus hands the same instance to all of them).
    /// </summary>
    public Task<LiveEvent> ResolveAsync(StoredEvent e) =>
        _resolved.GetValue(e, key => new Lazy<Task<LiveEvent>>(() => BuildAsync(key))).Value;

    /// <summary>
    /// Remembers the agent a <c>task_created</c> names although no socket wanted the event itself (sockets that ask for
    /// task states only): the task's later events then resolve without reading the store, on the hub's one thread.
    /// </summary>
    public void Learn(StoredEvent e)
    {
        if (e.AggregateType == EventTypes.Task && !_agents.TryGetValue(e.AggregateId, out string? _) && AgentNamedBy(e, e.AggregateId) is { } agent)
        {
            _agents.Set(e.AggregateId, agent, _entry);
        }
    }

    /// <summary>The agent <paramref name="taskId"/>'s <c>task_created</c> names, when <paramref name="e"/> is that event.</summary>
    private static string? AgentNamedBy(StoredEvent e, Guid taskId) =>
        e.EventType == EventTypes.TaskCreated && e.AggregateId == taskId ? Read(e, CoreJsonContext.Default.TaskAgentData)?.Agent : null;

    public void Dispose() => _agents.Dispose();

    private async Task<LiveEvent> BuildAsync(StoredEvent e)
    {
        Guid? taskId = e.AggregateType switch
        {
            EventTypes.Task => e.AggregateId,
            EventTypes.Approval => await ApprovalTaskAsync(e),
            _ => null,
        };
        var agent = taskId is { } id ? await AgentAsync(e, id) : null;
        return new LiveEvent(e, taskId, agent);
    }

    /// <summary>The payload, or null when it is not what its type promises (then the store is asked instead).</summary>
    private static T? Read<T>(StoredEvent e, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(e.Data, type);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async ValueTask<Guid?> ApprovalTaskAsync(StoredEvent e)
    {
        if (_agents.TryGetValue(e.AggregateId, out Guid task))
        {
            return task;
        }
        Guid? found = null;
        if (e.EventType == EventTypes.ApprovalRequested)
        {
            found = Read(e, CoreJsonContext.Default.ApprovalRequestedData)?.TaskId;
        }
        if (found is null)
        {
            try
            {
                found = (await store.GetApprovalAsync(e.TenantId, e.AggregateId))?.TaskId;
            }
            catch (Exception ex) when (ex is ApexUnavailableException or DbException)
            {
                logger.ResolveFailed(ex, e.AggregateType, e.AggregateId);
            }
        }
        if (found is { } value)
        {
            _agents.Set(e.AggregateId, value, _entry);
        }
        return found;
    }

    private async ValueTask<string?> AgentAsync(StoredEvent e, Guid taskId)
    {
        if (_agents.TryGetValue(taskId, out string? agent))
        {
            return agent;
        }
        agent = AgentNamedBy(e, taskId);
        if (agent is null)
        {
            try
            {
                agent = (await store.GetTaskAsync(e.TenantId, taskId))?.Agent;
            }
            catch (Exception ex) when (ex is ApexUnavailableException or DbException)
            {
                // The event still goes out, without its agent: a subscription filtered by agent misses it.
                logger.ResolveFailed(ex, EventTypes.Task, taskId);
            }
        }
        if (agent is not null)
        {
            _agents.Set(taskId, agent, _entry);
        }
        return agent;
    }
}
