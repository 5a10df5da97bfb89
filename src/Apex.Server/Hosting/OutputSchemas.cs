using System.Text.Json;
using Apex.Agents.Routing;
using Apex.Core.Errors;

namespace Apex.Server.Hosting;

/// <summary>
/// Output schemas (of agents, tasks and DAG nodes) are compiled by the API before anything is stored, with the same
/// parser the scorer checks answers with: a schema that does not compile is a 422 at the field, never a task that
/// fails later.
/// </summary>
internal static class OutputSchemas
{
    /// <summary>True when <paramref name="schema"/> is a JSON object the scorer can use as a JSON Schema.</summary>
    public static bool Compiles(JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return false;
        }
        try
        {
            _ = ResponseScorer.ParseSchema(schema.GetRawText());
            return true;
        }
        catch (Exception e) when (e is JsonException or Json.Schema.JsonSchemaException)
        {
            return false;
        }
    }

    /// <summary>Throws a 422 naming every field whose schema is an object that does not compile.</summary>
    /// <exception cref="ApexValidationException">With code <c>validation_failed</c>.</exception>
    public static void ThrowIfInvalid(IEnumerable<(JsonElement? Schema, string Field)> schemas)
    {
        Dictionary<string, string[]>? errors = null;
        foreach (var (schema, field) in schemas)
        {
            if (schema is { ValueKind: JsonValueKind.Object } s && !Compiles(s))
            {
                (errors ??= [])[field] = ["Not a valid JSON Schema."];
            }
        }
        if (errors is not null)
        {
            throw new ApexValidationException("validation_failed", "An output schema is not a valid JSON Schema; nothing was created.", errors);
        }
    }
}
