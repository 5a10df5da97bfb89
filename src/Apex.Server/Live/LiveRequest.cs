using System.Collections.Frozen;
using System.Text.Json;
using Apex.Core.Events;

namespace Apex.Server.Live;

/// <summary>A client message, parsed; an unusable one becomes a <see cref="LiveRequest.Invalid"/> carrying its error.</summary>
internal abstract record LiveRequest(string? Id)
{
    public const int MaxIdLength = 64;
    public const int MaxAgentLength = 200;

    public sealed record Subscribe(string? Id, LiveChannel Channel, LiveFilter Filter, long? Since) : LiveRequest(Id);

    public sealed record Unsubscribe(string? Id, LiveChannel? Channel) : LiveRequest(Id);

    public sealed record Ping(string? Id) : LiveRequest(Id);

    public sealed record Invalid(string? Id, string Code, string Message) : LiveRequest(Id);

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 8 };

    public static LiveRequest Parse(ReadOnlyMemory<byte> utf8)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, DocumentOptions);
        }
        catch (JsonException)
        {
            return new Invalid(null, "invalid_json", "The message is not JSON.");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new Invalid(null, "invalid_json", "The message must be a JSON object.");
            }
            string? id = null;
            if (root.TryGetProperty("id", out var idElement) && idElement.ValueKind != JsonValueKind.Null)
            {
                if (idElement.ValueKind != JsonValueKind.String || idElement.GetString() is not { Length: > 0 and <= MaxIdLength } text)
                {
                    return new Invalid(null, "invalid_message", $"id must be a string of 1–{MaxIdLength} characters.");
                }
                id = text;
            }
            var type = root.TryGetProperty("type", out var typeElement) && typeElement.ValueKind == JsonValueKind.String ? typeElement.GetString() : null;
            return type switch
            {
                "subscribe" => ParseSubscribe(root, id),
                "unsubscribe" => ParseUnsubscribe(root, id),
                "ping" => new Ping(id),
                null => new Invalid(id, "invalid_message", "type is required: subscribe, unsubscribe or ping."),
                _ => new Invalid(id, "invalid_message", $"Unknown type '{type}': subscribe, unsubscribe or ping."),
            };
        }
    }

    private static LiveRequest ParseSubscribe(JsonElement root, string? id)
    {
        if (!root.TryGetProperty("channel", out var channelElement) || channelElement.ValueKind != JsonValueKind.String
            || !LiveChannels.TryParse(channelElement.GetString(), out var channel))
        {
            return new Invalid(id, "unknown_channel", $"channel must be one of {LiveChannels.Names}.");
        }
        long? since = null;
        if (root.TryGetProperty("since", out var sinceElement) && sinceElement.ValueKind != JsonValueKind.Null)
        {
            if (sinceElement.ValueKind != JsonValueKind.Number || !sinceElement.TryGetInt64(out var value) || value < 0)
            {
                return new Invalid(id, "invalid_since", "since must be an integer seq ≥ 0.");
            }
            since = value;
        }
        var filter = LiveFilter.None;
        if (root.TryGetProperty("filter", out var filterElement) && filterElement.ValueKind != JsonValueKind.Null)
        {
            if (filterElement.ValueKind != JsonValueKind.Object)
            {
                return new Invalid(id, "invalid_filter", "filter must be an object.");
            }
            Guid? dag = null, task = null;
            string? agent = null;
            FrozenSet<string>? types = null;
            foreach (var property in filterElement.EnumerateObject())
            {
                var ok = property.Name switch
                {
                    "dag_id" => TryId(property.Value, out dag),
                    "task_id" => TryId(property.Value, out task),
                    "agent" => TryAgent(property.Value, out agent),
                    "event_types" => TryEventTypes(property.Value, out types),
                    _ => false,
                };
                if (!ok)
                {
                    return new Invalid(id, "invalid_filter",
                        $"filter.{property.Name}: expected dag_id and task_id as UUID strings, agent as a string of 1–{MaxAgentLength} characters, " +
                        "event_types as a non-empty array of event type names (docs/websocket.md).");
                }
            }
            filter = new LiveFilter(dag, task, agent, types);
        }
        return new Subscribe(id, channel, filter, since);
    }

    private static LiveRequest ParseUnsubscribe(JsonElement root, string? id)
    {
        if (root.TryGetProperty("channel", out var channelElement) && channelElement.ValueKind != JsonValueKind.Null)
        {
            return channelElement.ValueKind == JsonValueKind.String && LiveChannels.TryParse(channelElement.GetString(), out var channel)
                ? new Unsubscribe(id, channel)
                : new Invalid(id, "unknown_channel", $"channel must be one of {LiveChannels.Names}.");
        }
        return id is null ? new Invalid(null, "invalid_message", "unsubscribe needs an id or a channel.") : new Unsubscribe(id, null);
    }

    private static bool TryId(JsonElement element, out Guid? id)
    {
        id = element.ValueKind == JsonValueKind.String && Guid.TryParse(element.GetString(), out var value) ? value : null;
        return id is not null;
    }

    /// <summary>A non-empty array of known event types (an unknown name is a typo that would silently match nothing).</summary>
    private static bool TryEventTypes(JsonElement element, out FrozenSet<string>? types)
    {
        types = null;
        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() == 0)
        {
            return false;
        }
        var names = new List<string>();
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString() is not { } name || !EventTypes.All.Contains(name))
            {
                return false;
            }
            names.Add(name);
        }
        types = names.ToFrozenSet(StringComparer.Ordinal);
        return true;
    }

    private static bool TryAgent(JsonElement element, out string? agent)
    {
        agent = element.ValueKind == JsonValueKind.String && element.GetString() is { Length: > 0 and <= MaxAgentLength } text ? text : null;
        return agent is not null;
    }
}
