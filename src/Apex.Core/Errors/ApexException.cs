namespace Apex.Core.Errors;

/// <summary>Base of every expected failure. <see cref="Code"/> is stable and machine-readable.</summary>
public abstract class ApexException(string code, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Stable snake_case code, carried into problem+json as <c>code</c>.</summary>
    public string Code { get; } = code;
}

/// <summary>The request is well-formed but not acceptable (HTTP 422).</summary>
public sealed class ApexValidationException(string code, string message, IReadOnlyDictionary<string, string[]>? errors = null, IReadOnlyList<string>? nodes = null)
    : ApexException(code, message)
{
    /// <summary>Offending fields and what is wrong with each.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors ?? new Dictionary<string, string[]>();

    /// <summary>Offending DAG node ids, in a meaningful order (a cycle lists its nodes in order).</summary>
    public IReadOnlyList<string> Nodes { get; } = nodes ?? [];
}

/// <summary>The object does not exist (HTTP 404).</summary>
public sealed class ApexNotFoundException(string kind, string id)
    : ApexException($"{kind}_not_found", $"No {kind} with id '{id}'.");

/// <summary>The caller is authenticated but may not do this (HTTP 403), beyond what a route's role policy decides.</summary>
public sealed class ApexForbiddenException(string message) : ApexException("forbidden", message);

/// <summary>The request conflicts with the object's current state (HTTP 409).</summary>
public sealed class ApexConflictException(string code, string message) : ApexException(code, message);

/// <summary>A bounded resource is full; try again later (HTTP 429 with Retry-After).</summary>
public sealed class ApexCapacityException(string code, string message, TimeSpan retryAfter, string? quota = null) : ApexException(code, message)
{
    /// <summary>When a retry is likely to succeed.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;

    /// <summary>The tenant or key quota that refused, such as <c>queued_tasks</c>; null for a server-wide limit.</summary>
    public string? Quota { get; } = quota;
}

/// <summary>The store cannot be reached; nothing was written (HTTP 503 with Retry-After).</summary>
public sealed class ApexUnavailableException(string message, Exception? inner = null)
    : ApexException("store_unavailable", message, inner);
