using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace Apex.Cli.Dags;

/// <summary>
/// Checks a JSON tree against the shape of a wire type (from its source-generated metadata) and types its scalars by
/// the field they land in. Collects every problem it finds, each with its field path, instead of stopping at the first.
/// </summary>
internal sealed class SchemaCoercer(JsonSerializerOptions options)
{
    private const int MaxProblems = 20;

    private readonly List<(string Path, string Message)> _problems = [];

    /// <summary>The problems found so far, by field path.</summary>
    public IReadOnlyList<(string Path, string Message)> Problems => _problems;

    /// <summary>A copy of <paramref name="node"/> with every scalar typed for <paramref name="type"/>.</summary>
    public JsonNode? Coerce(JsonNode? node, Type type, string path)
    {
        if (_problems.Count >= MaxProblems)
        {
            return null;
        }
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (node is null)
        {
            if (underlying == type && type.IsValueType)
            {
                Problem(path, "must have a value.");
            }
            return null;
        }
        if (underlying == typeof(string))
        {
            return node is JsonValue value ? JsonValue.Create(Text(value)) : Expected(path, "text", node);
        }
        if (underlying.IsEnum)
        {
            return Enum(node, underlying, path);
        }
        if (underlying == typeof(int) || underlying == typeof(long))
        {
            return Integer(node, path, underlying == typeof(int) ? int.MinValue : long.MinValue, underlying == typeof(int) ? int.MaxValue : long.MaxValue);
        }
        if (underlying == typeof(decimal) || underlying == typeof(double))
        {
            return node is JsonValue v && decimal.TryParse(Text(v), NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                ? JsonValue.Create(number)
                : Expected(path, "a number", node);
        }
        if (underlying == typeof(bool))
        {
            return node is JsonValue v && bool.TryParse(Text(v), out var flag) ? JsonValue.Create(flag) : Expected(path, "true or false", node);
        }

        var info = options.GetTypeInfo(underlying);
        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object:
                return Object(node, info, path);
            case JsonTypeInfoKind.Enumerable when node is JsonArray array:
                var list = new JsonArray();
                for (var i = 0; i < array.Count; i++)
                {
                    list.Add(Coerce(array[i], info.ElementType!, FieldPath.Index(path, i)));
                }
                return list;
            case JsonTypeInfoKind.Enumerable:
                return Expected(path, "a list", node);
            case JsonTypeInfoKind.Dictionary when node is JsonObject map:
                var dictionary = new JsonObject();
                foreach (var (key, child) in map)
                {
                    dictionary[key] = Coerce(child, info.ElementType!, FieldPath.Member(path, key));
                }
                return dictionary;
            case JsonTypeInfoKind.Dictionary:
                return Expected(path, "a mapping of names to values", node);
            default:
                return node.DeepClone();
        }
    }

    private JsonObject? Object(JsonNode node, JsonTypeInfo info, string path)
    {
        if (node is not JsonObject source)
        {
            Expected(path, "a mapping of fields", node);
            return null;
        }
        var result = new JsonObject();
        foreach (var (name, child) in source)
        {
            var property = info.Properties.FirstOrDefault(p => p.Name == name);
            if (property is null)
            {
                var known = info.Properties.Select(p => p.Name).ToList();
                var suggestion = known.FirstOrDefault(k => IsNear(k, name));
                Problem(FieldPath.Member(path, name), suggestion is null
                    ? $"unknown field '{name}'; the fields here are {string.Join(", ", known)}."
                    : $"unknown field '{name}'; did you mean '{suggestion}'?");
                continue;
            }
            result[name] = Coerce(child, property.PropertyType, FieldPath.Member(path, name));
        }
        return result;
    }

    private JsonValue? Enum(JsonNode node, Type type, string path)
    {
        var names = System.Enum.GetNames(type).Select(JsonNamingPolicy.SnakeCaseLower.ConvertName).ToList();
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String)
        {
            var text = Text(value);
            var match = names.FirstOrDefault(n => n.Equals(text.Replace('-', '_'), StringComparison.OrdinalIgnoreCase));
            if (match is not null)
            {
                return JsonValue.Create(match);
            }
        }
        Problem(path, $"expected one of {string.Join(", ", names)}, got {Show(node)}.");
        return null;
    }

    private JsonValue? Integer(JsonNode node, string path, long min, long max)
    {
        if (node is JsonValue value && long.TryParse(Text(value), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            if (number >= min && number <= max)
            {
                return JsonValue.Create(number);
            }
            Problem(path, $"{number} is out of range.");
            return null;
        }
        return Expected(path, "a whole number", node);
    }

    private JsonValue? Expected(string path, string what, JsonNode node)
    {
        Problem(path, $"expected {what}, got {Show(node)}.");
        return null;
    }

    private void Problem(string path, string message)
    {
        if (_problems.Count < MaxProblems)
        {
            _problems.Add((path, message));
        }
    }

    private static string Text(JsonValue value) =>
        value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();

    private static string Show(JsonNode node) => node switch
    {
        JsonObject => "a mapping",
        JsonArray => "a list",
        JsonValue value when value.GetValueKind() == JsonValueKind.String => $"'{Truncate(value.GetValue<string>())}'",
        _ => Truncate(node.ToJsonString()),
    };

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "…";

    /// <summary>Same letters but for case, or a couple of edits apart: likely a typo of <paramref name="known"/>.</summary>
    private static bool IsNear(string known, string typed)
    {
        if (known.Equals(typed, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        var allowed = known.Length <= 4 ? 1 : 2;
        if (Math.Abs(known.Length - typed.Length) > allowed)
        {
            return false;
        }
        var previous = new int[typed.Length + 1];
        var current = new int[typed.Length + 1];
        for (var j = 0; j <= typed.Length; j++)
        {
            previous[j] = j;
        }
        for (var i = 1; i <= known.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= typed.Length; j++)
            {
                var cost = char.ToLowerInvariant(known[i - 1]) == char.ToLowerInvariant(typed[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[typed.Length] <= allowed;
    }
}
