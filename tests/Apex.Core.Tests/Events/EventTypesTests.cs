using Apex.Core.Events;
using Xunit;

namespace Apex.Core.Tests.Events;

public sealed class EventTypesTests
{
    [Theory]
    [InlineData(EventTypes.TaskSucceeded, true)]
    [InlineData(EventTypes.TaskFailed, true)]
    [InlineData(EventTypes.TaskCancelled, true)]
    [InlineData(EventTypes.TaskSkipped, true)]
    [InlineData(EventTypes.TaskCreated, false)]
    [InlineData(EventTypes.TaskRetryScheduled, false)]
    [InlineData(EventTypes.TaskResultIgnored, false)]
    [InlineData(EventTypes.DagSucceeded, false)]
    public void IsTerminal_EventType_TrueOnlyForEventsThatEndATask(string eventType, bool terminal)
    {
        Assert.Equal(terminal, EventTypes.IsTerminal(eventType));
    }

    [Fact]
    public void All_HoldsEveryEventTypeConstantAndNoAggregateType()
    {
        var constants = typeof(EventTypes).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .Select(f => (string)f.GetRawConstantValue()!)
            .Except([EventTypes.Task, EventTypes.Dag, EventTypes.Approval])
            .Order(StringComparer.Ordinal);

        Assert.Equal(constants, EventTypes.All.Order(StringComparer.Ordinal));
    }
}
