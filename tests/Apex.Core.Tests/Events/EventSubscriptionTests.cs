using Apex.Core.Events;
using Xunit;

namespace Apex.Core.Tests.Events;

public sealed class EventSubscriptionTests
{
    [Fact]
    public void Offer_EventRejectedByFilter_NotDelivered()
    {
        using var subscription = new EventSubscription(e => e.EventType == EventTypes.TaskSucceeded, 8, _ => { });

        subscription.Offer(Event(1, EventTypes.TaskStarted));
        subscription.Offer(Event(2, EventTypes.TaskSucceeded));

        Assert.True(subscription.Reader.TryRead(out var delivered));
        Assert.Equal(2, delivered.Seq);
        Assert.False(subscription.Reader.TryRead(out _));
    }

    [Fact]
    public void Wants_AnswersAsOfferWouldTakeTheEvent()
    {
        using var subscription = new EventSubscription(e => e.EventType == EventTypes.TaskSucceeded, 1, _ => { });

        Assert.False(subscription.Wants(Event(1, EventTypes.TaskStarted)));
        Assert.True(subscription.Wants(Event(2, EventTypes.TaskSucceeded)));
        subscription.Offer(Event(2, EventTypes.TaskSucceeded));
        subscription.Offer(Event(3, EventTypes.TaskSucceeded)); // over capacity: cut off
        Assert.False(subscription.Wants(Event(4, EventTypes.TaskSucceeded)));
    }

    [Fact]
    public async Task Offer_MoreThanCapacityUnread_DeliversBufferThenFailsWithOverflow()
    {
        using var subscription = new EventSubscription(_ => true, 2, _ => { });

        for (var seq = 1; seq <= 4; seq++)
        {
            subscription.Offer(Event(seq, EventTypes.TaskStarted));
        }

        Assert.True(subscription.Overflowed);
        var delivered = new List<long>();
        while (subscription.Reader.TryRead(out var e))
        {
            delivered.Add(e.Seq);
        }
        Assert.Equal([1, 2], delivered);
        await Assert.ThrowsAsync<EventSubscriptionOverflowException>(() => subscription.Reader.Completion);
    }

    [Fact]
    public async Task Dispose_OpenSubscription_CompletesReaderAndNotifiesOwner()
    {
        EventSubscription? removed = null;
        var subscription = new EventSubscription(_ => true, 2, s => removed = s);

        subscription.Dispose();

        Assert.Same(subscription, removed);
        await subscription.Reader.Completion;
        Assert.False(subscription.Overflowed);
    }

    private static StoredEvent Event(long seq, string eventType) => new()
    {
        Seq = seq,
        TenantId = Tenancy.DefaultTenant,
        AggregateType = EventTypes.Task,
        AggregateId = Guid.Empty,
        Version = (int)seq,
        EventType = eventType,
        Data = "{}",
        CreatedAt = DateTimeOffset.UnixEpoch,
    };
}
