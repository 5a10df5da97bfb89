using Microsoft.Extensions.AI;

namespace Apex.Bench;

/// <summary>Serves recorded answers: the model is <see cref="ChatOptions.ModelId"/>, the task is the last user message.</summary>
internal sealed class ReplayChatClient(IEnumerable<CascadeTask> tasks, IEnumerable<RecordedAnswer> answers) : IChatClient
{
    private readonly Dictionary<string, string> _taskByInstruction = tasks.ToDictionary(t => t.Instruction, t => t.Id);
    private readonly Dictionary<(string Task, string Model), RecordedAnswer> _answers = answers.ToDictionary(a => (a.Task, a.Model));

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var instruction = messages.Last(m => m.Role == ChatRole.User).Text;
        var model = options?.ModelId ?? throw new InvalidOperationException("The replay needs ChatOptions.ModelId.");
        if (!_taskByInstruction.TryGetValue(instruction, out var task) || !_answers.TryGetValue((task, model), out var answer))
        {
            throw new InvalidOperationException($"No recorded answer of {model} to this instruction.");
        }
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer.Answer))
        {
            ModelId = model,
            Usage = new UsageDetails { InputTokenCount = answer.InputTokens, OutputTokenCount = answer.OutputTokens },
        });
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The replay serves whole responses only.");

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
