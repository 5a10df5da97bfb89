using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Apex.Agents.Tools;

/// <summary>
/// Sits under <see cref="FunctionInvokingChatClient"/> and counts and logs the model's calls of tools it was not
/// offered. FunctionInvokingChatClient already refuses them (it answers "not found" and invokes nothing); this makes
/// the refusals visible.
/// </summary>
internal sealed class ToolCallGuard(IChatClient innerClient, ToolContext context, ILogger logger) : DelegatingChatClient(innerClient)
{
    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var response = await base.GetResponseAsync(messages, options, cancellationToken);
        foreach (var message in response.Messages)
        {
            Check(message.Contents, options);
        }
        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken))
        {
            Check(update.Contents, options);
            yield return update;
        }
    }

    private void Check(IList<AIContent> contents, ChatOptions? options)
    {
        foreach (var call in contents.OfType<FunctionCallContent>())
        {
            if (!call.InformationalOnly && options?.Tools?.Any(t => t.Name == call.Name) != true)
            {
                context.Tally.CountRefused();
                logger.CallRefused(call.Name, context.TaskId);
            }
        }
    }
}
