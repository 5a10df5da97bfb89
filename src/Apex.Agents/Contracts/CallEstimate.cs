using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Apex.Agents.Contracts;

/// <summary>What one LLM call may use at most, as reserved before it is made.</summary>
/// <param name="InputTokens">Estimated prompt tokens: a quarter of the characters of the messages, instructions and tool definitions.</param>
/// <param name="MaxOutputTokens">The call's output cap.</param>
/// <param name="ModelId">The model that prices the call.</param>
public sealed record CallEstimate(long InputTokens, long MaxOutputTokens, string ModelId)
{
    // Role and separators a provider adds around every message.
    private const int TokensPerMessage = 4;

    /// <summary>Estimates a call of <paramref name="messages"/> with <paramref name="options"/> on <paramref name="modelId"/>.</summary>
    public static CallEstimate Of(IEnumerable<ChatMessage> messages, ChatOptions? options, string modelId, int defaultMaxOutputTokens)
    {
        long chars = options?.Instructions?.Length ?? 0;
        long count = 0;
        foreach (var message in messages)
        {
            count++;
            foreach (var content in message.Contents)
            {
                chars += CharsOf(content);
            }
        }
        foreach (var tool in options?.Tools ?? [])
        {
            chars += tool.Name.Length + tool.Description.Length;
            if (tool is AIFunctionDeclaration function)
            {
                chars += function.JsonSchema.GetRawText().Length;
            }
        }
        return new CallEstimate(TokensOf(chars) + (count * TokensPerMessage), options?.MaxOutputTokens ?? defaultMaxOutputTokens, modelId);
    }

    /// <summary>Tokens of <paramref name="chars"/> characters of text, rounded up.</summary>
    public static long TokensOf(long chars) => (chars + 3) / 4;

    private static long CharsOf(AIContent content) => content switch
    {
        TextContent text => text.Text.Length,
        TextReasoningContent reasoning => reasoning.Text.Length,
        FunctionCallContent call => call.Name.Length + (call.Arguments is null ? 0 : JsonSerializer.Serialize(call.Arguments, AIJsonUtilities.DefaultOptions).Length),
        FunctionResultContent result => result.Result switch
        {
            null => 0,
            string s => s.Length,
            JsonElement json => json.GetRawText().Length,
            var other => JsonSerializer.Serialize(other, AIJsonUtilities.DefaultOptions).Length,
        },
        _ => 0,
    };
}
