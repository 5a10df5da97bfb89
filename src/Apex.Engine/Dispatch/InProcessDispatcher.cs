using Apex.Core.Storage;
using Apex.Engine.Execution;

namespace Apex.Engine.Dispatch;

/// <summary>Embedded dispatch: the in-process queue feeds this process's workers.</summary>
internal sealed class InProcessDispatcher(InProcessTaskQueue queue, RunningTasks running) : ITaskDispatcher
{
    public string Backend => "in-process";

    public long Backlog => queue.Count;

    public void Dispatch(IReadOnlyList<DispatchItem> items) => queue.EnqueueRange(items);

    public void Cancel(IReadOnlyList<Guid> taskIds)
    {
        foreach (var id in taskIds)
        {
            running.Cancel(id);
        }
        queue.Remove(taskIds);
    }

    public void Withdraw(IReadOnlyList<Guid> taskIds) => queue.Remove(taskIds);
}
