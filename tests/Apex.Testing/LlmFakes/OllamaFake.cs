using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Apex.Testing.LlmFakes;

/// <summary>
/// A fake Ollama server: <c>POST /api/chat</c>, a JSON body with <c>stream: false</c>, otherwise (Ollama's default)
/// newline-delimited JSON chunks whose last, <c>done: true</c>, carries <c>prompt_eval_count</c> and <c>eval_count</c>.
/// Tool calls come as <c>message.tool_calls</c> with arguments as a JSON object. <see cref="BaseUrl"/> is the root,
/// as <c>OLLAMA_HOST</c> is.
/// </summary>
public sealed class OllamaFake : LlmFake
{
    private const string CreatedAt = "2025-01-01T00:00:00.000000Z";

    private OllamaFake()
    {
    }

    /// <inheritdoc />
    public override string BaseUrl => Address.GetLeftPart(UriPartial.Authority);

    /// <inheritdoc />
    protected override string ChatPath => "/api/chat";

    /// <summary>Starts a fake on a free loopback port.</summary>
    public static async Task<OllamaFake> StartAsync(CancellationToken cancellationToken = default)
    {
        var fake = new OllamaFake();
        await fake.StartCoreAsync(cancellationToken);
        return fake;
    }

    /// <inheritdoc />
    protected override bool IsStreaming(JsonNode request) => request["stream"]?.GetValue<bool>() != false;

    /// <inheritdoc />
    protected override string LastUserText(JsonNode request) =>
        (string?)request["messages"]?.AsArray().LastOrDefault(m => (string?)m?["role"] == "user")?["content"] ?? "";

    /// <inheritdoc />
    protected override Task WriteJsonAsync(HttpResponse response, JsonNode request, FakeReply reply, CancellationToken cancellationToken) =>
        response.WriteAsync(Line(Final(request, reply, Message(reply.Text ?? "", reply))), cancellationToken);

    /// <inheritdoc />
    protected override async Task WriteStreamAsync(HttpResponse response, JsonNode request, FakeReply reply, CancellationToken cancellationToken)
    {
        response.ContentType = "application/x-ndjson";
        foreach (var piece in Pieces(reply))
        {
            await ChunkAsync(Partial(request, Message(piece, reply: null)));
        }
        if (reply.ToolCalls.Count > 0)
        {
            await ChunkAsync(Partial(request, Message("", reply)));
        }
        await ChunkAsync(Final(request, reply, Message("", reply: null)));

        Task ChunkAsync(JsonObject chunk) => WriteFlushedAsync(response, Line(chunk) + "\n", cancellationToken);
    }

    /// <inheritdoc />
    protected override JsonNode ErrorBody(FakeReply reply) => new JsonObject { ["error"] = reply.ErrorMessage };

    /// <summary>An assistant message; with <paramref name="reply"/>, carrying its tool calls.</summary>
    private static JsonObject Message(string content, FakeReply? reply)
    {
        var message = new JsonObject { ["role"] = "assistant", ["content"] = content };
        if (reply is { ToolCalls.Count: > 0 })
        {
            message["tool_calls"] = new JsonArray([.. reply.ToolCalls.Select(call => (JsonNode)new JsonObject
            {
                ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = JsonNode.Parse(call.ArgumentsJson) },
            })]);
        }
        return message;
    }

    private static JsonObject Partial(JsonNode request, JsonObject message) => new()
    {
        ["model"] = (string?)request["model"],
        ["created_at"] = CreatedAt,
        ["message"] = message,
        ["done"] = false,
    };

    private static JsonObject Final(JsonNode request, FakeReply reply, JsonObject message) => new()
    {
        ["model"] = (string?)request["model"],
        ["created_at"] = CreatedAt,
        ["message"] = message,
        ["done"] = true,
        ["done_reason"] = "stop",
        ["total_duration"] = 1_000_000,
        ["load_duration"] = 1_000,
        ["prompt_eval_count"] = reply.InputTokens,
        ["prompt_eval_duration"] = 100_000,
        ["eval_count"] = reply.OutputTokens,
        ["eval_duration"] = 500_000,
    };
}
