using Microsoft.Extensions.AI;

namespace Apex.Agents.Tests.Tools;

/// <summary>
/// A model that answers each request with the next step of a script, and records every request it receives (the
/// prompts) and every response it gives, as text, so tests can search them.
/// </summary>
internal sealed class ScriptedChatClient(Func<IReadOnlyList<ChatMessage>, ChatOptions?, int, ChatResponse> next) : IChatClient
{
    private readonly List<IReadOnlyList<ChatMessage>> _requests = [];
    private readonly List<string> _offeredTools = [];

    public IReadOnlyList<IReadOnlyList<ChatMessage>> Requests => _requests;

    public List<string> Transcript { get; } = [];

    /// <summary>Tool names offered in each request, joined by commas.</summary>
    public IReadOnlyList<string> OfferedTools => _offeredTools;

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<ChatMessage> request = [.. messages];
        _requests.Add(request);
        _offeredTools.Add(string.Join(',', options?.Tools?.Select(t => t.Name) ?? []));
        Transcript.AddRange(request.SelectMany(Texts));
        var response = next(request, options, _requests.Count);
        Transcript.AddRange(response.Messages.SelectMany(Texts));
        return Task.FromResult(response);
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }

    public static ChatResponse Call(string name, Dictionary<string, object?>? arguments = null) =>
        new(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent(Guid.NewGuid().ToString("N"), name, arguments ?? [])]));

    public static ChatResponse Calls(params (string Name, Dictionary<string, object?> Arguments)[] calls) =>
        new(new ChatMessage(ChatRole.Assistant, [.. calls.Select(c => (AIContent)new FunctionCallContent(Guid.NewGuid().ToString("N"), c.Name, c.Arguments))]));

    public static ChatResponse Say(string text) => new(new ChatMessage(ChatRole.Assistant, text));

    /// <summary>The text of the tool results in <paramref name="messages"/>.</summary>
    public static IEnumerable<string> ToolResults(IEnumerable<ChatMessage> messages) =>
        messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Select(r => r.Result?.ToString() ?? "");

    private static IEnumerable<string> Texts(ChatMessage message) =>
        message.Contents.Select(c => c switch
        {
            TextContent t => t.Text,
            FunctionCallContent call => $"{call.Name}({string.Join(", ", call.Arguments?.Select(a => $"{a.Key}={a.Value}") ?? [])})",
            FunctionResultContent result => result.Result?.ToString() ?? "",
            _ => "",
        });
}
