using System.Net;

namespace Apex.Client;

/// <summary>
/// The server answered with an error: an RFC 9457 problem+json body with Apex's stable <see cref="Code"/>, or, when
/// something in between (a proxy) answered instead, <c>http_&lt;status&gt;</c>.
/// </summary>
public sealed class ApexApiException(
    HttpStatusCode statusCode,
    string code,
    string? title,
    string? detail,
    IReadOnlyDictionary<string, string[]>? errors = null,
    IReadOnlyList<string>? nodes = null,
    TimeSpan? retryAfter = null)
    : Exception(detail ?? title ?? $"The server answered {(int)statusCode} ({code}).")
{
    /// <summary>HTTP status of the response.</summary>
    public HttpStatusCode StatusCode { get; } = statusCode;

    /// <summary>Stable snake_case code, such as <c>dag_cycle</c> or <c>task_not_found</c>.</summary>
    public string Code { get; } = code;

    /// <summary>Short summary of the problem type.</summary>
    public string? Title { get; } = title;

    /// <summary>What went wrong with this request.</summary>
    public string? Detail { get; } = detail;

    /// <summary>Offending fields (such as <c>tasks[2].instruction</c>) and what is wrong with each; empty when none.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors ?? new Dictionary<string, string[]>();

    /// <summary>Offending DAG node ids, in a meaningful order (a cycle lists its nodes in order); empty when none.</summary>
    public IReadOnlyList<string> Nodes { get; } = nodes ?? [];

    /// <summary>How long to wait before trying again, from the <c>Retry-After</c> header (429 and 503).</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>True for 400 and 422: the request itself is wrong, and sending it again will not help.</summary>
    public bool IsInvalidRequest => StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity;
}
