using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Apex.Testing.LlmFakes;

/// <summary>
/// A fake OpenAI Chat Completions server: <c>POST /v1/chat/completions</c>, a JSON body, or with <c>stream: true</c>
/// server-sent <c>data: {chunk}</c> lines ending with <c>data: [DONE]</c> and a usage chunk when
/// <c>stream_options.include_usage</c> is set. <see cref="BaseUrl"/> ends with <c>/v1</c>, as <c>OPENAI_BASE_URL</c> does.
/// </summary>
public sealed class OpenAiFake : LlmFake
{
    private const long Created = 1_700_000_000;

    private OpenAiFake()
    {
    }

    /// <inheritdoc />
    public override string BaseUrl => new Uri(Address, "/v1").ToString();

    /// <inheritdoc />
    protected override string ChatPath => "/v1/chat/completions";

    /// <summary>Starts a fake on a free loopback port.</summary>
    public static async Task<OpenAiFake> StartAsync(CancellationToken cancellationToken = default)
    {
        var fake = new OpenAiFake();
        await fake.StartCoreAsync(cancellationToken);
        return fake;
    }

    /// <inheritdoc />
    protected override bool IsStreaming(JsonNode request) => request["stream"]?.GetValue<bool>() == true;

    /// <inheritdoc />
    protected override string LastUserText(JsonNode request)
    {
        var last = request["messages"]?.AsArray().LastOrDefault(m => (string?)m?["role"] == "user")?["content"];
        return last switch
        {
            JsonValue value => value.GetValue<string>(),
            JsonArray parts => string.Concat(parts.Select(p => (string?)p?["text"])),
            _ => "",
        };
    }

    /// <inheritdoc />
    protected override Task WriteJsonAsync(HttpResponse response, JsonNode request, FakeReply reply, CancellationToken cancellationToken)
    {
        var message = new JsonObject { ["role"] = "assistant", ["content"] = reply.Text };
        if (reply.ToolCalls.Count > 0)
        {
            message["tool_calls"] = new JsonArray([.. reply.ToolCalls.Select(call => (JsonNode)new JsonObject
            {
                ["id"] = call.Id,
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = call.ArgumentsJson },
            })]);
        }
        var body = new JsonObject
        {
            ["id"] = "chatcmpl-fake",
            ["object"] = "chat.completion",
            ["created"] = Created,
            ["model"] = (string?)request["model"],
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = message,
                ["finish_reason"] = FinishReason(reply),
                ["logprobs"] = null,
            }),
            ["usage"] = Usage(reply),
        };
        return response.WriteAsync(Line(body), cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task WriteStreamAsync(HttpResponse response, JsonNode request, FakeReply reply, CancellationToken cancellationToken)
    {
        response.ContentType = "text/event-stream";
        var model = (string?)request["model"];
        await WriteChunkAsync(new JsonObject { ["role"] = "assistant", ["content"] = "" });
        foreach (var piece in Pieces(reply))
        {
            await WriteChunkAsync(new JsonObject { ["content"] = piece });
        }
        for (var i = 0; i < reply.ToolCalls.Count; i++)
        {
            var call = reply.ToolCalls[i];
            var half = call.ArgumentsJson.Length / 2;
            await WriteChunkAsync(ToolCallDelta(i, new JsonObject { ["name"] = call.Name, ["arguments"] = "" }, call.Id));
            await WriteChunkAsync(ToolCallDelta(i, new JsonObject { ["arguments"] = call.ArgumentsJson[..half] }, id: null));
            await WriteChunkAsync(ToolCallDelta(i, new JsonObject { ["arguments"] = call.ArgumentsJson[half..] }, id: null));
        }
        await WriteChunkAsync(new JsonObject(), FinishReason(reply));
        if (request["stream_options"]?["include_usage"]?.GetValue<bool>() == true)
        {
            await WriteDataAsync(Chunk(model, new JsonArray(), Usage(reply)));
        }
        await WriteFlushedAsync(response, "data: [DONE]\n\n", cancellationToken);

        Task WriteChunkAsync(JsonObject delta, string? finishReason = null) => WriteDataAsync(Chunk(model, new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["delta"] = delta,
            ["finish_reason"] = finishReason,
        }), usage: null));

        Task WriteDataAsync(JsonNode chunk) => WriteFlushedAsync(response, $"data: {Line(chunk)}\n\n", cancellationToken);
    }

    /// <inheritdoc />
    protected override JsonNode ErrorBody(FakeReply reply) => new JsonObject
    {
        ["error"] = new JsonObject
        {
            ["message"] = reply.ErrorMessage,
            ["type"] = reply.Status == 429 ? "rate_limit_exceeded" : reply.Status >= 500 ? "server_error" : "invalid_request_error",
            ["param"] = null,
            ["code"] = null,
        },
    };

    private static JsonObject Chunk(string? model, JsonArray choices, JsonObject? usage)
    {
        var chunk = new JsonObject
        {
            ["id"] = "chatcmpl-fake",
            ["object"] = "chat.completion.chunk",
            ["created"] = Created,
            ["model"] = model,
            ["choices"] = choices,
        };
        if (usage is not null)
        {
            chunk["usage"] = usage;
        }
        return chunk;
    }

    private static JsonObject ToolCallDelta(int index, JsonObject function, string? id)
    {
        var call = new JsonObject { ["index"] = index };
        if (id is not null)
        {
            call["id"] = id;
            call["type"] = "function";
        }
        call["function"] = function;
        return new JsonObject { ["tool_calls"] = new JsonArray(call) };
    }

    private static string FinishReason(FakeReply reply) => reply.ToolCalls.Count > 0 ? "tool_calls" : "stop";

    private static JsonObject Usage(FakeReply reply) => new()
    {
        ["prompt_tokens"] = reply.InputTokens,
        ["completion_tokens"] = reply.OutputTokens,
        ["total_tokens"] = reply.InputTokens + reply.OutputTokens,
    };
}
