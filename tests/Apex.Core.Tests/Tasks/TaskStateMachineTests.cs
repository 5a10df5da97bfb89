using Apex.Contracts.Tasks;
using Apex.Core.Tasks;
using Xunit;

namespace Apex.Core.Tests.Tasks;

public sealed class TaskStateMachineTests
{
    /// <summary>
    /// DESIGN §3: pending → queued → running ⇄ awaiting_approval (approved: queued for a new attempt) → succeeded | failed | cancelled | skipped, where
    /// skipped happens only before a task runs, anything unfinished can be cancelled, running goes back to queued
    /// for a retry or a lost worker, and a manual retry re-queues a failed or cancelled task.
    /// </summary>
    private static readonly (TaskState From, TaskState To)[] DesignTransitions =
    [
        (TaskState.Pending, TaskState.Queued),
        (TaskState.Pending, TaskState.Cancelled),
        (TaskState.Pending, TaskState.Skipped),
        (TaskState.Queued, TaskState.Running),
        (TaskState.Queued, TaskState.Cancelled),
        (TaskState.Queued, TaskState.Skipped),
        (TaskState.Running, TaskState.AwaitingApproval),
        (TaskState.Running, TaskState.Succeeded),
        (TaskState.Running, TaskState.Failed),
        (TaskState.Running, TaskState.Cancelled),
        (TaskState.Running, TaskState.Queued),
        (TaskState.AwaitingApproval, TaskState.Queued),
        (TaskState.AwaitingApproval, TaskState.Failed),
        (TaskState.AwaitingApproval, TaskState.Cancelled),
        (TaskState.Failed, TaskState.Queued),
        (TaskState.Cancelled, TaskState.Queued),
    ];

    public static TheoryData<TaskState, TaskState> Allowed
    {
        get
        {
            var data = new TheoryData<TaskState, TaskState>();
            foreach (var (from, to) in DesignTransitions)
            {
                data.Add(from, to);
            }
            return data;
        }
    }

    public static TheoryData<TaskState, TaskState> Forbidden
    {
        get
        {
            var data = new TheoryData<TaskState, TaskState>();
            foreach (var from in Enum.GetValues<TaskState>())
            {
                foreach (var to in Enum.GetValues<TaskState>())
                {
                    if (!DesignTransitions.Contains((from, to)))
                    {
                        data.Add(from, to);
                    }
                }
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Allowed))]
    public void CanTransition_AllowedByDesign_ReturnsTrue(TaskState from, TaskState to)
    {
        Assert.True(TaskStateMachine.CanTransition(from, to));
    }

    [Theory]
    [MemberData(nameof(Forbidden))]
    public void CanTransition_NotAllowedByDesign_ReturnsFalse(TaskState from, TaskState to)
    {
        Assert.False(TaskStateMachine.CanTransition(from, to));
    }

    [Theory]
    [InlineData(TaskState.Succeeded, true)]
    [InlineData(TaskState.Failed, true)]
    [InlineData(TaskState.Cancelled, true)]
    [InlineData(TaskState.Skipped, true)]
    [InlineData(TaskState.Pending, false)]
    [InlineData(TaskState.Queued, false)]
    [InlineData(TaskState.Running, false)]
    [InlineData(TaskState.AwaitingApproval, false)]
    public void IsTerminal_EachState_TrueOnlyForFinishedStates(TaskState state, bool terminal)
    {
        Assert.Equal(terminal, state.IsTerminal());
    }
}
