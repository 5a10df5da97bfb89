namespace Apex.Testing.LlmFakes;

/// <summary>
/// What a fake LLM server answers to one request, independent of wire format: each fake renders it as a JSON body,
/// or as its streaming format when the request asked to stream. <see cref="RawBody"/> is sent as-is instead;
/// a status of 400 or more gets the provider's error body.
/// </summary>
public sealed record FakeReply
{
    /// <summary>HTTP status.</summary>
    public int Status { get; init; } = 200;

    /// <summary>The assistant's text.</summary>
    public string? Text { get; init; }

    /// <summary>Function calls the assistant makes.</summary>
    public IReadOnlyList<FakeToolCall> ToolCalls { get; init; } = [];

    /// <summary>Prompt tokens reported in the usage.</summary>
    public int InputTokens { get; init; } = 10;

    /// <summary>Completion tokens reported in the usage.</summary>
    public int OutputTokens { get; init; } = 5;

    /// <summary>Response headers (Retry-After...).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>Time the server waits before answering; a client that gives up first aborts the request.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Body sent verbatim (with <see cref="RawContentType"/>) instead of a rendered one.</summary>
    public string? RawBody { get; init; }

    /// <summary>Content type of <see cref="RawBody"/>.</summary>
    public string RawContentType { get; init; } = "application/json";

    /// <summary>Error message of a status of 400 or more.</summary>
    public string ErrorMessage { get; init; } = "The fake was told to fail.";

    /// <summary>
    /// When streamed: pieces of this many characters, cut anywhere (as real tokens are, inside words); null for one
    /// piece per word.
    /// </summary>
    public int? PieceLength { get; init; }

    /// <summary>A text answer with its usage.</summary>
    public static FakeReply WithText(string text, int inputTokens = 10, int outputTokens = 5) =>
        new() { Text = text, InputTokens = inputTokens, OutputTokens = outputTokens };

    /// <summary>One function call and no text.</summary>
    public static FakeReply WithToolCall(string name, string argumentsJson, string id = "call_1") =>
        new() { ToolCalls = [new FakeToolCall(id, name, argumentsJson)] };

    /// <summary>An HTTP error in the provider's error format, with a Retry-After in whole seconds when given.</summary>
    public static FakeReply Error(int status, TimeSpan? retryAfter = null, string message = "The fake was told to fail.") => new()
    {
        Status = status,
        ErrorMessage = message,
        Headers = retryAfter is { } after
            ? new Dictionary<string, string> { ["Retry-After"] = ((int)Math.Ceiling(after.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture) }
            : new Dictionary<string, string>(),
    };

    /// <summary>A 200 whose JSON body is cut off.</summary>
    public static FakeReply Malformed() => new() { RawBody = """{"id": "cut-off", "choices": [{"message": {"content": "Hel""" };

    /// <summary>A text answer sent only after <paramref name="delay"/>.</summary>
    public static FakeReply Slow(TimeSpan delay) => WithText("This answer comes too late.") with { Delay = delay };
}
