using Apex.Core.Storage;
using Apex.Core.Tasks;

namespace Apex.Engine.Dispatch;

/// <summary>This process's idle workers, offered to the store through the in-process queue (see <see cref="IEagerStarts"/>).</summary>
internal sealed class EagerStarts(InProcessTaskQueue queue, string worker) : IEagerStarts
{
    public string Worker => worker;

    public bool TryReserve(in DispatchItem item) => queue.TryReserve(item);

    public void Start(in DispatchItem item, TaskRecord task) => queue.Start(item, task);

    public void Release(in DispatchItem item) => queue.Unreserve(item);
}
