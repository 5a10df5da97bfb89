using Apex.Agents.Contracts;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Microsoft.Extensions.AI;
using Xunit;

namespace Apex.Agents.Tests.Contracts;

/// <summary>
/// Fifty tasks without limits of their own call a model concurrently, each until its DAG's 100,000-token budget
/// refuses it; then each tries once more.
/// </summary>
internal static class SharedBudgetScenario
{
    public const long TokenLimit = 100_000;

    public static async Task<Outcome> RunAsync(Func<int, IBudgetLedger> ledgerOfTask, CancellationToken cancellationToken)
    {
        var model = new CountingChatClient();
        var key = $"dag:{Guid.NewGuid():N}";
        var limits = new TaskLimits { TokenLimit = TokenLimit };
        List<ChatMessage> prompt = [new(ChatRole.User, new string('p', 400))];
        var options = new ChatOptions { ModelId = "gpt-4o", MaxOutputTokens = 1_000 };
        var meters = Enumerable.Range(0, 50)
            .Select(i => ContractMeterTests.Meter(new TaskLimits(), shared: new SharedBudget(ledgerOfTask(i), key, limits, UsageDelta.None)))
            .ToList();

        var violations = await Task.WhenAll(meters.Select(meter => Task.Run(async () =>
        {
            using var client = new MeteredChatClient(model, meter);
            try
            {
                // A ledger that never refuses would let the task run forever.
                for (var call = 0; call < 1_000; call++)
                {
                    await client.GetResponseAsync(prompt, options, cancellationToken);
                }
            }
            catch (ContractViolationException e)
            {
                return e;
            }
            return null;
        }, cancellationToken)));
        var callsAtCap = model.Calls;
        foreach (var meter in meters)
        {
            using var client = new MeteredChatClient(model, meter);
            await Assert.ThrowsAsync<ContractViolationException>(() => client.GetResponseAsync(prompt, options, cancellationToken));
        }
        var budget = (await ledgerOfTask(0).GetAsync(key, cancellationToken))!.Value;
        var estimate = CallEstimate.Of(prompt, options, "gpt-4o", 1024);
        return new Outcome(violations, budget.Used, budget.Reserved, estimate.InputTokens + estimate.MaxOutputTokens, callsAtCap, model.Calls);
    }

    public sealed record Outcome(
        IReadOnlyList<ContractViolationException?> Violations, BudgetAmount Used, BudgetAmount Reserved, long Reservation, int CallsAtCap, int CallsAfterRetrying);
}
