using System.Text.Json;
using Apex.Core.Agents;
using Apex.Agents.Security;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Apex.Agents.Tools;

/// <summary>Builds the per-attempt client that runs the tool-calling loop over a provider's client.</summary>
internal static class ToolCalling
{
    /// <summary>
    /// <paramref name="inner"/> wrapped for one attempt: a <see cref="FunctionInvokingChatClient"/> that allows at most
    /// <see cref="AgentToolSettings.MaxSteps"/> rounds of tool calls, invokes only the tools in <see cref="ChatOptions.Tools"/> (a
    /// call of any other name is answered "not found", counted and logged, never invoked), gives the model no exception
    /// details, and redacts secrets from tool results (as they return, before the loop logs or keeps them) and from
    /// what goes to and comes from the model. Pass the tools of
    /// <see cref="ToolCatalog.GetToolsAsync"/> for the same <paramref name="context"/> in the request's options.
    /// </summary>
    public static FunctionInvokingChatClient CreateClient(
        IChatClient inner, AgentToolSettings settings, ToolContext context, SecretRedactor redactor, ILoggerFactory loggerFactory)
    {
        var logger = loggerFactory.CreateLogger(typeof(ToolCalling));
        var guarded = new SecretRedactingChatClient(new ToolCallGuard(inner, context, logger), redactor);
        return new FunctionInvokingChatClient(guarded, loggerFactory)
        {
            MaximumIterationsPerRequest = Math.Clamp(settings.MaxSteps, 1, AgentToolSettings.MaxMaxSteps),
            TerminateOnUnknownCalls = false,
            IncludeDetailedErrors = false,
            AllowConcurrentInvocation = false,
            FunctionInvoker = async (invocation, cancellationToken) =>
            {
                // FunctionInvokingChatClient only finds tools in ChatOptions.Tools (AdditionalTools stays empty); check again anyway.
                if (invocation.Options?.Tools?.Contains(invocation.Function) != true)
                {
                    context.Tally.CountRefused();
                    logger.CallRefused(invocation.Function.Name, context.TaskId);
                    return "error: this tool is not available";
                }
                var arguments = JsonSerializer.Serialize(invocation.Arguments, AIJsonUtilities.DefaultOptions);
                if (!context.Approvals.TryPassTool(invocation.Function.Name, arguments))
                {
                    // Held for a human: the loop ends here and the attempt reports that it awaits approval.
                    invocation.Terminate = true;
                    return "error: this call needs a human's approval; the task resumes once it is approved";
                }
                context.Tally.CountInvoked();
                var result = await invocation.Function.InvokeAsync(invocation.Arguments, cancellationToken);
                return SecretRedactingChatClient.RedactResult(redactor, result);
            },
        };
    }
}
