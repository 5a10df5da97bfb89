using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Apex.Agents.Security;

/// <summary>
/// Redacts secrets from everything that crosses it: the messages sent to the model (instructions, tool results,
/// earlier tool-call arguments) and the model's answer, tool-call arguments included, so a secret planted in tool
/// output neither reaches the provider nor leaves through a tool call. Streaming redacts each update on its own; a
/// secret split across two updates is caught only by redacting the assembled text.
/// </summary>
public sealed class SecretRedactingChatClient(IChatClient innerClient, SecretRedactor redactor) : DelegatingChatClient(innerClient)
{
    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var response = await base.GetResponseAsync([.. messages.Select(Redact)], options, cancellationToken);
        response.Messages = [.. response.Messages.Select(Redact)];
        return response;
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var update in base.GetStreamingResponseAsync([.. messages.Select(Redact)], options, cancellationToken))
        {
            if (Redact(update.Contents) is { } contents)
            {
                update.Contents = contents;
                update.RawRepresentation = null;
            }
            yield return update;
        }
    }

    private ChatMessage Redact(ChatMessage message) =>
        Redact(message.Contents) is { } contents
            ? new ChatMessage(message.Role, contents)
            {
                AuthorName = message.AuthorName,
                MessageId = message.MessageId,
                CreatedAt = message.CreatedAt,
                AdditionalProperties = message.AdditionalProperties,
            }
            : message;

    /// <summary>The contents with secrets redacted, or null when there were none.</summary>
    private List<AIContent>? Redact(IList<AIContent> contents)
    {
        List<AIContent>? redacted = null;
        for (var i = 0; i < contents.Count; i++)
        {
            var replacement = Redact(contents[i]);
            if (replacement is not null)
            {
                redacted ??= [.. contents];
                redacted[i] = replacement;
            }
        }
        return redacted;
    }

    private AIContent? Redact(AIContent content)
    {
        switch (content)
        {
            case TextContent text when Changed(text.Text) is { } clean:
                return new TextContent(clean) { AdditionalProperties = text.AdditionalProperties };
            case TextReasoningContent reasoning when Changed(reasoning.Text) is { } clean:
                return new TextReasoningContent(clean);
            case FunctionResultContent result when Changed(ResultText(result.Result)) is { } clean:
                return new FunctionResultContent(result.CallId, clean);
            case FunctionCallContent call when call.Arguments is { Count: > 0 } arguments:
                var cleanArguments = arguments.ToDictionary(a => a.Key, a => a.Value is null ? null : Changed(ArgumentText(a.Value)) is { } clean ? (object?)clean : a.Value);
                return cleanArguments.Any(a => !ReferenceEquals(a.Value, arguments[a.Key]))
                    ? new FunctionCallContent(call.CallId, call.Name, cleanArguments)
                    : null;
            default:
                return null;
        }
    }

    /// <summary>
    /// A tool's result with secrets redacted: unchanged when it holds none, else its text (JSON for a structured
    /// result) redacted. Applied where the tool returns, so the history, logs and telemetry of the loop see it clean.
    /// </summary>
    internal static object? RedactResult(SecretRedactor redactor, object? result)
    {
        if (ResultText(result) is not { } text)
        {
            return result;
        }
        var clean = redactor.Redact(text);
        return clean == text ? result : clean;
    }

    private string? Changed(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        var clean = redactor.Redact(text);
        return ReferenceEquals(clean, text) || clean == text ? null : clean;
    }

    private static string? ResultText(object? result) => result switch
    {
        null => null,
        string s => s,
        _ => JsonSerializer.Serialize(result, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(object))),
    };

    private static string ArgumentText(object value) => value as string ?? ResultText(value)!;
}
