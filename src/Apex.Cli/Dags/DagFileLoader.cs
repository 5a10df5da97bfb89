using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Apex.Contracts;
using Apex.Contracts.Dags;

namespace Apex.Cli.Dags;

/// <summary>
/// Reads a DAG file, YAML or JSON, into the request of <c>POST /api/v1/dags</c>. Both syntaxes use the API's snake_case
/// field names. Every problem is reported as a <see cref="DagFileException"/> naming the file and, where known, the line.
/// </summary>
internal static class DagFileLoader
{
    // A 10,000-task DAG with long instructions is a few MB; anything much larger is not a DAG file.
    private const long MaxFileBytes = 64L * 1024 * 1024;

    /// <summary>Reads and parses <paramref name="file"/>.</summary>
    public static async Task<CreateDagRequest> LoadAsync(FileInfo file, CancellationToken cancellationToken = default)
    {
        var source = file.ToString();
        string text;
        try
        {
            if (file.Length > MaxFileBytes)
            {
                throw new DagFileException(source, $"the file is {file.Length:N0} bytes; a DAG file is at most {MaxFileBytes:N0}.");
            }
            text = await File.ReadAllTextAsync(file.FullName, Encoding.UTF8, cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DagFileException(source, "no such file.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DagFileException(source, $"cannot read the file: {e.Message}", e);
        }
        return Parse(text, DetectFormat(file.Name, text), source);
    }

    /// <summary>By extension (<c>.yaml</c>, <c>.yml</c>, <c>.json</c>), else JSON when the text starts with <c>{</c>.</summary>
    public static DagFileFormat DetectFormat(string fileName, string text) => Path.GetExtension(fileName).ToUpperInvariant() switch
    {
        ".YAML" or ".YML" => DagFileFormat.Yaml,
        ".JSON" => DagFileFormat.Json,
        _ => text.AsSpan().TrimStart().TrimStart('\uFEFF').StartsWith("{", StringComparison.Ordinal) ? DagFileFormat.Json : DagFileFormat.Yaml,
    };

    /// <summary>Parses <paramref name="text"/>; <paramref name="source"/> names it in messages.</summary>
    public static CreateDagRequest Parse(string text, DagFileFormat format, string source)
    {
        IReadOnlyDictionary<string, SourcePosition> positions;
        JsonNode? tree;
        if (format == DagFileFormat.Yaml)
        {
            var reader = new YamlTreeReader();
            tree = reader.Read(text, source);
            positions = reader.Positions;
        }
        else
        {
            tree = ParseJson(text, source);
            positions = new Dictionary<string, SourcePosition>();
        }
        if (tree is not JsonObject)
        {
            throw new DagFileException(source, format == DagFileFormat.Yaml
                ? "the file must hold a mapping with the DAG's fields (name, tasks, ...) at the top level."
                : "the file must hold a JSON object with the DAG's fields (name, tasks, ...).");
        }

        var coercer = new SchemaCoercer(ApexJsonContext.Default.Options);
        var typed = coercer.Coerce(tree, typeof(CreateDagRequest), "");
        if (coercer.Problems.Count > 0)
        {
            throw new DagFileException(source, [.. coercer.Problems.Select(p => Describe(p.Path, p.Message, positions))]);
        }
        try
        {
            return typed.Deserialize(ApexJsonContext.Default.CreateDagRequest)
                ?? throw new DagFileException(source, "the file holds no DAG.");
        }
        catch (JsonException e)
        {
            var path = e.Path is { Length: > 1 } p ? p.TrimStart('$').TrimStart('.') : "";
            throw new DagFileException(source, Describe(path, e.Message, positions), e);
        }
    }

    private static JsonNode? ParseJson(string text, string source)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new DagFileException(source, "the file is empty.");
        }
        try
        {
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            // JsonException counts lines and bytes from 0.
            var where = e.LineNumber is { } line ? $"line {line + 1}, column {(e.BytePositionInLine ?? 0) + 1}: " : "";
            throw new DagFileException(source, $"{where}invalid JSON: {FirstSentence(e.Message)}", e);
        }
    }

    private static string Describe(string path, string message, IReadOnlyDictionary<string, SourcePosition> positions)
    {
        if (path.Length == 0)
        {
            return message;
        }
        return positions.TryGetValue(path, out var position) ? $"{position} ({path}): {message}" : $"{path}: {message}";
    }

    /// <summary>System.Text.Json appends " Path: … | LineNumber: … | BytePositionInLine: …."; the position is given already.</summary>
    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
