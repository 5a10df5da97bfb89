using Apex.Core.Events;

namespace Apex.Server.Live;

/// <summary>
/// An event resolved for routing (its task and that task's agent) and serialized once: <see cref="Body"/> is the part
/// of the <c>event</c> message every subscription shares; <see cref="LiveFrames.Event"/> puts a subscription's prefix
/// before it.
/// </summary>
internal sealed class LiveEvent(StoredEvent e, Guid? taskId, string? agent)
{
    public StoredEvent Event { get; } = e;

    /// <summary>The task of a task event, or the task an approval event is about.</summary>
    public Guid? TaskId { get; } = taskId;

    /// <summary>The agent of <see cref="TaskId"/>, when known.</summary>
    public string? Agent { get; } = agent;

    public byte[] Body { get; } = LiveFrames.EventBody(e, taskId, agent);
}
