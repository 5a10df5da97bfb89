using Apex.Contracts.Tasks;
using Apex.Core.Errors;
using Apex.Core.Dags;

namespace Apex.Core.Tasks;

/// <summary>Field rules shared by single tasks, batches and DAG nodes.</summary>
public static class TaskRules
{
    /// <summary>Longest name accepted.</summary>
    public const int MaxNameLength = 256;

    /// <summary>Most attempts a task may ask for.</summary>
    public const int MaxAttemptsCeiling = 100;

    /// <summary>Most metadata entries.</summary>
    public const int MaxMetadataEntries = 64;

    /// <summary>Largest output schema a task may carry, in bytes of JSON.</summary>
    public const int MaxOutputSchemaBytes = 64 * 1024;

    /// <summary>Validates a single task request; throws <see cref="ApexValidationException"/> (<c>validation_failed</c>).</summary>
    public static void Validate(CreateTaskRequest request, string prefix = "")
    {
        var errors = new Dictionary<string, string[]>();
        Collect(request, prefix, errors);
        if (errors.Count > 0)
        {
            throw new ApexValidationException("validation_failed", "The task is invalid.", errors);
        }
    }

    /// <summary>Adds what is wrong with <paramref name="request"/> to <paramref name="errors"/>.</summary>
    public static void Collect(CreateTaskRequest? request, string prefix, Dictionary<string, string[]> errors)
    {
        if (request is null)
        {
            errors[prefix.TrimEnd('.')] = ["A task object is required."];
            return;
        }
        if (string.IsNullOrWhiteSpace(request.Instruction))
        {
            errors[prefix + "instruction"] = ["An instruction is required."];
        }
        if (request.Name is { Length: > MaxNameLength })
        {
            errors[prefix + "name"] = [$"At most {MaxNameLength} characters."];
        }
        if (request.Agent is not null && !DagKeys.IsValid(request.Agent))
        {
            errors[prefix + "agent"] = ["Agent names are 1–128 characters of [A-Za-z0-9_.-]."];
        }
        if (request.Metadata is { Count: > MaxMetadataEntries })
        {
            errors[prefix + "metadata"] = [$"At most {MaxMetadataEntries} entries."];
        }
        CheckMaxAttempts(request.MaxAttempts, prefix + "max_attempts", errors);
        CheckLimits(request.Limits, prefix + "limits", errors);
        CheckOutputSchema(request.OutputSchema, prefix + "output_schema", errors);
    }

    /// <summary>
    /// Checks the shape of an output schema: a JSON object of at most <see cref="MaxOutputSchemaBytes"/> bytes. (The API
    /// also compiles it as a JSON Schema before anything is stored.)
    /// </summary>
    public static void CheckOutputSchema(System.Text.Json.JsonElement? schema, string field, Dictionary<string, string[]> errors)
    {
        if (schema is not { } s || s.ValueKind is System.Text.Json.JsonValueKind.Undefined or System.Text.Json.JsonValueKind.Null)
        {
            return;
        }
        if (s.ValueKind != System.Text.Json.JsonValueKind.Object || s.GetRawText().Length > MaxOutputSchemaBytes)
        {
            errors[field] = [$"A JSON Schema object of at most {MaxOutputSchemaBytes} bytes."];
        }
    }

    /// <summary>The schema as stored: its raw JSON, or null when none was given.</summary>
    public static string? SchemaText(System.Text.Json.JsonElement? schema) =>
        schema is { ValueKind: System.Text.Json.JsonValueKind.Object } s ? s.GetRawText() : null;

    /// <summary>Checks 1 ≤ max_attempts ≤ <see cref="MaxAttemptsCeiling"/>.</summary>
    public static void CheckMaxAttempts(int? maxAttempts, string field, Dictionary<string, string[]> errors)
    {
        if (maxAttempts is < 1 or > MaxAttemptsCeiling)
        {
            errors[field] = [$"Between 1 and {MaxAttemptsCeiling}."];
        }
    }

    /// <summary>Checks that every set limit is positive.</summary>
    public static void CheckLimits(TaskLimits? limits, string field, Dictionary<string, string[]> errors)
    {
        if (limits is null)
        {
            return;
        }
        if (limits.TokenLimit is <= 0)
        {
            errors[field + ".token_limit"] = ["Must be positive."];
        }
        if (limits.CostLimit is <= 0)
        {
            errors[field + ".cost_limit"] = ["Must be positive."];
        }
        if (limits.TimeLimitSeconds is <= 0 or > 7 * 24 * 3600)
        {
            errors[field + ".time_limit_seconds"] = ["Between 1 and 604800 (a week)."];
        }
        if (limits.ApiCallLimit is <= 0)
        {
            errors[field + ".api_call_limit"] = ["Must be positive."];
        }
    }
}
