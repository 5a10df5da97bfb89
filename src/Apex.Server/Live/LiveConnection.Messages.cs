using System.Globalization;
using System.Net.WebSockets;

namespace Apex.Server.Live;

internal sealed partial class LiveConnection
{
    private void Handle(ReadOnlyMemory<byte> utf8)
    {
        var request = LiveRequest.Parse(utf8);
        if (request is LiveRequest.Invalid invalid)
        {
            if (++_invalidInARow > _services.Options.MaxInvalidMessages)
            {
                Close(WebSocketCloseStatus.PolicyViolation, "too_many_invalid_messages");
                return;
            }
            Error(invalid.Code, invalid.Message, invalid.Id);
            return;
        }
        _invalidInARow = 0;
        switch (request)
        {
            case LiveRequest.Ping ping:
                TryEnqueue(LiveFrames.Pong(ping.Id), null);
                break;
            case LiveRequest.Subscribe subscribe:
                Subscribe(subscribe);
                break;
            case LiveRequest.Unsubscribe unsubscribe:
                Unsubscribe(unsubscribe);
                break;
        }
    }

    private void Subscribe(LiveRequest.Subscribe request)
    {
        LiveSubscription subscription;
        lock (_lock)
        {
            if (_closing.Task.IsCompleted)
            {
                return; // RunAsync has taken (or is about to take) the subscriptions to stop: add none after.
            }
            if (request.Id is { } taken && _subscriptions.ContainsKey(taken))
            {
                Error("duplicate_subscription", $"Subscription '{taken}' already exists on this connection.", taken);
                return;
            }
            if (_subscriptions.Count >= _services.Options.MaxSubscriptionsPerConnection)
            {
                Error("too_many_subscriptions", $"At most {_services.Options.MaxSubscriptionsPerConnection} subscriptions per connection.", request.Id);
                return;
            }
            var id = request.Id;
            while (id is null || _subscriptions.ContainsKey(id))
            {
                id = (++_nextId).ToString(CultureInfo.InvariantCulture);
            }
            subscription = new LiveSubscription(id, request.Channel, request.Filter, request.Since, this);
            _subscriptions.Add(id, subscription);
        }
        // The bus subscription is in place before the next client message is read: an action the client takes after
        // sending subscribe is seen live (or, with since, in the replay).
        subscription.Start();
    }

    private void Unsubscribe(LiveRequest.Unsubscribe request)
    {
        List<LiveSubscription> removed = [];
        lock (_lock)
        {
            if (request.Channel is { } channel)
            {
                removed.AddRange(_subscriptions.Values.Where(s => s.Channel == channel && (request.Id is null || s.Id == request.Id)));
            }
            else if (_subscriptions.TryGetValue(request.Id!, out var one))
            {
                removed.Add(one);
            }
            foreach (var subscription in removed)
            {
                _subscriptions.Remove(subscription.Id);
            }
        }
        if (removed.Count == 0)
        {
            Error("unknown_subscription", "Nothing subscribed matches.", request.Id);
            return;
        }
        foreach (var subscription in removed)
        {
            subscription.Stop();
            TryEnqueue(LiveFrames.Unsubscribed(subscription.Id, subscription.Channel), null);
        }
    }

    private void Error(string code, string message, string? id) => TryEnqueue(LiveFrames.Error(code, message, id), null);
}
