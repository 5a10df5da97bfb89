using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Apex.Cli.Dags;

/// <summary>
/// Reads a YAML document into a JSON tree, keeping every scalar as written (a string) except the plain null forms, so
/// <see cref="SchemaCoercer"/> can type each one by the field it lands in: <c>name: 1.10</c> stays "1.10" while
/// <c>max_attempts: 3</c> becomes a number. Also records where each field starts, for error messages.
/// </summary>
internal sealed class YamlTreeReader
{
    private const int MaxDepth = 64;

    // Aliases can repeat a subtree many times over ("billion laughs"); a DAG file never needs this many nodes.
    private const int MaxNodes = 1_000_000;

    private readonly Dictionary<string, SourcePosition> _positions = new(StringComparer.Ordinal);
    private int _nodes;

    /// <summary>Where each field path starts in the file.</summary>
    public IReadOnlyDictionary<string, SourcePosition> Positions => _positions;

    /// <summary>Parses <paramref name="text"/>; throws <see cref="DagFileException"/> when it is not one well-formed YAML document.</summary>
    public JsonNode? Read(string text, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new DagFileException(source, $"{Position(e.Start)}: invalid YAML: {Reason(e)}", e);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner throws this when the text ends inside an unclosed flow collection.
            throw new DagFileException(source, "invalid YAML: the file ends inside an unclosed '[', '{' or quote.", e);
        }
        return stream.Documents.Count switch
        {
            0 => throw new DagFileException(source, "the file is empty."),
            1 => Convert(stream.Documents[0].RootNode, "", 0, source),
            _ => throw new DagFileException(source,
                $"{Position(stream.Documents[1].RootNode.Start)}: the file holds {stream.Documents.Count} YAML documents; a DAG file holds one."),
        };
    }

    private JsonNode? Convert(YamlNode node, string path, int depth, string source)
    {
        if (depth > MaxDepth)
        {
            throw new DagFileException(source, $"{Position(node.Start)}: nested more than {MaxDepth} levels deep.");
        }
        if (++_nodes > MaxNodes)
        {
            throw new DagFileException(source, $"more than {MaxNodes:N0} YAML nodes once aliases are expanded.");
        }
        switch (node)
        {
            case YamlMappingNode mapping:
                var obj = new JsonObject();
                foreach (var (keyNode, valueNode) in mapping.Children)
                {
                    if (keyNode is not YamlScalarNode { Value: { } key })
                    {
                        throw new DagFileException(source, $"{Position(keyNode.Start)}: field names must be plain text.");
                    }
                    var childPath = FieldPath.Member(path, key);
                    _positions[childPath] = Position(keyNode.Start);
                    obj[key] = Convert(valueNode, childPath, depth + 1, source);
                }
                return obj;
            case YamlSequenceNode sequence:
                var array = new JsonArray();
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    var childPath = FieldPath.Index(path, i);
                    _positions[childPath] = Position(sequence.Children[i].Start);
                    array.Add(Convert(sequence.Children[i], childPath, depth + 1, source));
                }
                return array;
            case YamlScalarNode scalar:
                return IsNull(scalar) ? null : JsonValue.Create(scalar.Value ?? "");
            default:
                throw new DagFileException(source, $"{Position(node.Start)}: unsupported YAML node {node.NodeType}.");
        }
    }

    /// <summary>The YAML 1.2 core schema's null: a plain (unquoted, untagged) empty value, <c>~</c> or <c>null</c>.</summary>
    private static bool IsNull(YamlScalarNode scalar) =>
        scalar.Style == ScalarStyle.Plain && scalar.Tag.IsEmpty
        && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";

    private static SourcePosition Position(Mark mark) => new(mark.Line, mark.Column);

    /// <summary>YamlDotNet prefixes its messages with "(Line: …) - (Line: …): "; the position is already given.</summary>
    private static string Reason(YamlException e)
    {
        var message = e.InnerException is YamlException inner ? inner.Message : e.Message;
        var cut = message.IndexOf("): ", StringComparison.Ordinal);
        return cut >= 0 && message.StartsWith('(') ? message[(cut + 3)..] : message;
    }
}
