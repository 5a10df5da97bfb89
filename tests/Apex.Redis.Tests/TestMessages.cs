using Apex.Redis.Queue;

namespace Apex.Redis.Tests;

internal static class TestMessages
{
    public static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_123);

    public static WorkMessage Work(Guid taskId, int attempt = 1) => new()
    {
        TaskId = taskId,
        TenantId = "default",
        Attempt = attempt,
        Agent = "writer",
        Provider = "simulated",
        Model = "sim-1",
        SystemPrompt = "You write.",
        Instruction = "Write a haiku.",
        TimeLimitMs = 60_000,
        DispatchedAt = Now,
        Traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    };

    public static ResultMessage Result(Guid taskId, int attempt, string worker) => new()
    {
        TaskId = taskId,
        TenantId = "default",
        Attempt = attempt,
        Worker = worker,
        Outcome = ResultOutcome.Succeeded,
        Output = "An old silent pond",
        InputTokens = 12,
        OutputTokens = 7,
        CostUsd = 0.000123m,
        ApiCalls = 1,
        StartedAt = Now,
        FinishedAt = Now.AddMilliseconds(1500),
    };

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + deadline;
        while (true)
        {
            if (await condition())
            {
                return true;
            }
            if (DateTime.UtcNow >= until)
            {
                return false;
            }
            await Task.Delay(20, cancellationToken);
        }
    }
}
