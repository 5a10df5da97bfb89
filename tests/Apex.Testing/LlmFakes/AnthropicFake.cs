using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Apex.Testing.LlmFakes;

/// <summary>
/// A fake Anthropic Messages server: <c>POST /v1/messages</c>, a JSON message with content blocks (<c>text</c>,
/// <c>tool_use</c>) and usage, or with <c>stream: true</c> the server-sent events <c>message_start</c>,
/// <c>content_block_start</c>, <c>content_block_delta</c> (<c>text_delta</c>, <c>input_json_delta</c>),
/// <c>content_block_stop</c>, <c>message_delta</c> (with the output usage) and <c>message_stop</c>.
/// <see cref="BaseUrl"/> is the root, as <c>ANTHROPIC_BASE_URL</c> is.
/// </summary>
public sealed class AnthropicFake : LlmFake
{
    private AnthropicFake()
    {
    }

    /// <inheritdoc />
    public override string BaseUrl => Address.GetLeftPart(UriPartial.Authority);

    /// <inheritdoc />
    protected override string ChatPath => "/v1/messages";

    /// <summary>Starts a fake on a free loopback port.</summary>
    public static async Task<AnthropicFake> StartAsync(CancellationToken cancellationToken = default)
    {
        var fake = new AnthropicFake();
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
            JsonArray blocks => string.Concat(blocks.Where(b => (string?)b?["type"] == "text").Select(b => (string?)b?["text"])),
            _ => "",
        };
    }

    /// <inheritdoc />
    protected override Task WriteJsonAsync(HttpResponse response, JsonNode request, FakeReply reply, CancellationToken cancellationToken)
    {
        var content = new JsonArray();
        if (reply.Text is not null)
        {
            content.Add(new JsonObject { ["type"] = "text", ["text"] = reply.Text });
        }
        foreach (var call in reply.ToolCalls)
        {
            content.Add(new JsonObject { ["type"] = "tool_use", ["id"] = call.Id, ["name"] = call.Name, ["input"] = JsonNode.Parse(call.ArgumentsJson) });
        }
        var body = Message(request, reply, content);
        body["stop_reason"] = StopReason(reply);
        body["usage"] = new JsonObject { ["input_tokens"] = reply.InputTokens, ["output_tokens"] = reply.OutputTokens };
        return response.WriteAsync(Line(body), cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task WriteStreamAsync(HttpResponse response, JsonNode request, FakeReply reply, CancellationToken cancellationToken)
    {
        response.ContentType = "text/event-stream";
        var start = Message(request, reply, []);
        start["stop_reason"] = null;
        start["usage"] = new JsonObject { ["input_tokens"] = reply.InputTokens, ["output_tokens"] = 1 };
        await EventAsync("message_start", new JsonObject { ["type"] = "message_start", ["message"] = start });
        var index = 0;
        if (reply.Text is not null)
        {
            await BlockStartAsync(new JsonObject { ["type"] = "text", ["text"] = "" });
            await EventAsync("ping", new JsonObject { ["type"] = "ping" });
            foreach (var piece in Pieces(reply))
            {
                await DeltaAsync(new JsonObject { ["type"] = "text_delta", ["text"] = piece });
            }
            await BlockStopAsync();
        }
        foreach (var call in reply.ToolCalls)
        {
            await BlockStartAsync(new JsonObject { ["type"] = "tool_use", ["id"] = call.Id, ["name"] = call.Name, ["input"] = new JsonObject() });
            var half = call.ArgumentsJson.Length / 2;
            await DeltaAsync(new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = call.ArgumentsJson[..half] });
            await DeltaAsync(new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = call.ArgumentsJson[half..] });
            await BlockStopAsync();
        }
        await EventAsync("message_delta", new JsonObject
        {
            ["type"] = "message_delta",
            ["delta"] = new JsonObject { ["stop_reason"] = StopReason(reply), ["stop_sequence"] = null },
            ["usage"] = new JsonObject { ["output_tokens"] = reply.OutputTokens },
        });
        await EventAsync("message_stop", new JsonObject { ["type"] = "message_stop" });

        Task BlockStartAsync(JsonObject block) =>
            EventAsync("content_block_start", new JsonObject { ["type"] = "content_block_start", ["index"] = index, ["content_block"] = block });

        Task DeltaAsync(JsonObject delta) =>
            EventAsync("content_block_delta", new JsonObject { ["type"] = "content_block_delta", ["index"] = index, ["delta"] = delta });

        Task BlockStopAsync() => EventAsync("content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = index++ });

        Task EventAsync(string name, JsonObject data) => WriteFlushedAsync(response, $"event: {name}\ndata: {Line(data)}\n\n", cancellationToken);
    }

    /// <inheritdoc />
    protected override JsonNode ErrorBody(FakeReply reply) => new JsonObject
    {
        ["type"] = "error",
        ["error"] = new JsonObject
        {
            ["type"] = reply.Status switch
            {
                429 => "rate_limit_error",
                401 => "authentication_error",
                403 => "permission_error",
                529 => "overloaded_error",
                >= 500 => "api_error",
                _ => "invalid_request_error",
            },
            ["message"] = reply.ErrorMessage,
        },
    };

    private static JsonObject Message(JsonNode request, FakeReply reply, JsonArray content) => new()
    {
        ["id"] = "msg_fake",
        ["type"] = "message",
        ["role"] = "assistant",
        ["model"] = (string?)request["model"],
        ["content"] = content,
        ["stop_sequence"] = null,
    };

    private static string StopReason(FakeReply reply) => reply.ToolCalls.Count > 0 ? "tool_use" : "end_turn";
}
