using System.CommandLine;
using Apex.Agents.Pricing;
using Apex.Agents.Routing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Apex.Bench;

/// <summary>
/// Replays the recorded answers of <c>bench/cascade</c> through the real <see cref="ResponseScorer"/> and
/// <see cref="CascadeRouter"/> and compares the cascade with always calling the top model: cost, correct final
/// answers per the reference judgement, who answered, and false accepts (the scorer passed a wrong answer).
/// </summary>
internal static class CascadeReplay
{
    public static Command Command()
    {
        var data = new Option<string>("--data") { DefaultValueFactory = _ => CascadeFixtures.DefaultDirectory(), Description = "Folder of tasks.jsonl and answers.jsonl.", Recursive = true };
        var models = new Option<string>("--models")
        {
            DefaultValueFactory = _ => "gpt-4o-mini,claude-3-5-haiku-latest,gpt-4o",
            Description = "Cascade, cheapest first; the last is the top model compared against.",
            Recursive = true,
        };
        var maxModels = new Option<int>("--max-models") { DefaultValueFactory = _ => 3, Description = "Most models one task may call." };
        var command = new Command("cascade", "Cascade routing replay: cost and correct answers versus always the top model.") { data, models, maxModels };
        command.SetAction(async (parse, ct) => await RunAsync(parse.GetValue(data)!, Split(parse.GetValue(models)!), parse.GetValue(maxModels), ct));
        command.Subcommands.Add(CascadeRecorder.Command(data, models));
        return command;
    }

    public static string[] Split(string models) => models.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static List<ChatMessage> Messages(CascadeTask task) => [new(ChatRole.System, task.System), new(ChatRole.User, task.Instruction)];

    private static async Task<int> RunAsync(string data, string[] models, int maxModels, CancellationToken cancellationToken)
    {
        var tasks = CascadeFixtures.Read<CascadeTask>(Path.Combine(data, "tasks.jsonl"));
        var answers = CascadeFixtures.Read<RecordedAnswer>(Path.Combine(data, "answers.jsonl"));
        var byTask = tasks.ToDictionary(t => t.Id);
        var disagreements = answers.Where(a => CascadeFixtures.IsCorrect(byTask[a.Task], a.Answer) != a.Correct).ToList();
        foreach (var a in disagreements)
        {
            Console.Error.WriteLine($"reference disagrees with the stored judgement: {a.Task} / {a.Model}");
        }
        var correct = answers.ToDictionary(a => (a.Task, a.Model), a => CascadeFixtures.IsCorrect(byTask[a.Task], a.Answer));

        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection([new("Apex:Routing:MaxModels", $"{maxModels}")]).Build())
            .AddLogging();
        services.AddOptions<PricingOptions>().BindConfiguration(PricingOptions.Section);
        await using var provider = services.AddApexCascadeRouting().BuildServiceProvider();
        var router = provider.GetRequiredService<CascadeRouter>();
        var pricing = provider.GetRequiredService<IOptions<PricingOptions>>().Value;
        using var replay = new ReplayChatClient(tasks, answers);

        var top = models[^1];
        decimal cascadeCost = 0, topCost = 0;
        int cascadeCorrect = 0, topCorrect = 0, accepted = 0, falseAccepts = 0, falseRejects = 0, calls = 0;
        var answeredBy = models.ToDictionary(m => m, _ => 0);
        var reasons = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var task in tasks)
        {
            var request = new CascadeRequest
            {
                Models = models,
                Instruction = task.Instruction,
                JsonSchema = task.Schema?.GetRawText(),
            };
            var result = await router.RouteAsync(request,
                (model, ct) => replay.GetResponseAsync(Messages(task), new ChatOptions { ModelId = model }, ct), cancellationToken);
            cascadeCost += result.Usage.CostUsd;
            calls += result.Usage.ApiCalls;
            answeredBy[result.Model]++;
            cascadeCorrect += correct[(task.Id, result.Model)] ? 1 : 0;
            accepted += result.Accepted ? 1 : 0;
            foreach (var decision in result.Decisions)
            {
                reasons[$"{decision.Model} {decision.Reason}"] = reasons.GetValueOrDefault($"{decision.Model} {decision.Reason}") + 1;
                var right = correct[(task.Id, decision.Model)];
                falseAccepts += decision.Outcome == CascadeOutcomes.Accepted && !right ? 1 : 0;
                falseRejects += decision.Outcome == CascadeOutcomes.Rejected && right ? 1 : 0;
            }

            var topAnswer = answers.Single(a => a.Task == task.Id && a.Model == top);
            topCost += pricing.CostOf(top, topAnswer.InputTokens, topAnswer.OutputTokens);
            topCorrect += correct[(task.Id, top)] ? 1 : 0;
        }

        var n = tasks.Count;
        Console.WriteLine($"Machine: {Machine.Describe()}");
        Console.WriteLine($"Data: {Path.GetFullPath(data)} ({n} tasks, {answers.Count} answers; reference disagreements: {disagreements.Count})");
        Console.WriteLine($"Cascade: {string.Join(" → ", models)}, at most {Math.Min(maxModels, models.Length)} models; no judge");
        Console.WriteLine();
        Console.WriteLine("| Strategy | Cost (USD) | Cost per task | Correct final answers | Model calls |");
        Console.WriteLine("|---|---|---|---|---|");
        Console.WriteLine($"| Always {top} | {topCost:0.000000} | {topCost / n:0.0000000} | {topCorrect}/{n} ({Pct(topCorrect, n)}) | {n} |");
        Console.WriteLine($"| Cascade | {cascadeCost:0.000000} | {cascadeCost / n:0.0000000} | {cascadeCorrect}/{n} ({Pct(cascadeCorrect, n)}) | {calls} |");
        foreach (var model in models[..^1])
        {
            var alone = answers.Where(a => a.Model == model).ToList();
            var cost = alone.Sum(a => pricing.CostOf(model, a.InputTokens, a.OutputTokens));
            var right = alone.Count(a => correct[(a.Task, model)]);
            Console.WriteLine($"| Always {model} (context) | {cost:0.000000} | {cost / n:0.0000000} | {right}/{n} ({Pct(right, n)}) | {n} |");
        }
        Console.WriteLine();
        Console.WriteLine($"Cost saved by the cascade: {(1 - (cascadeCost / topCost)) * 100:0.0} %");
        Console.WriteLine($"Scorer accepted the final answer: {accepted}/{n} ({Pct(accepted, n)}); the rest ended on the last model's answer unaccepted");
        Console.WriteLine($"False accepts (scorer passed a wrong answer): {falseAccepts}; false rejects (scorer failed a right answer): {falseRejects}");
        Console.WriteLine($"Answered by: {string.Join(", ", models.Select(m => $"{m} {answeredBy[m]} ({Pct(answeredBy[m], n)})"))}");
        Console.WriteLine($"Decisions: {string.Join(", ", reasons.Select(r => $"{r.Key} ×{r.Value}"))}");
        return disagreements.Count == 0 ? 0 : 1;
    }

    private static string Pct(int part, int whole) => $"{100.0 * part / whole:0.0} %";
}
