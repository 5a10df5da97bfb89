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
}
