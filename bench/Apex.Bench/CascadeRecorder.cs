using System.CommandLine;
using System.Text.Json;
using Apex.Agents.Runtime;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Apex.Bench;

/// <summary>
/// Records real answers for the cascade replay: every task of <c>tasks.jsonl</c> asked of every model through the
/// agent runtime's <see cref="IChatClientProvider"/> (configured like the server: <c>Apex__...</c> environment
/// variables), judged by the reference rules, written as <c>answers.jsonl</c> lines.
/// </summary>
internal static class CascadeRecorder
{
    public static Command Command(Option<string> data, Option<string> models)
    {
        var provider = new Option<string>("--provider") { Required = true, Description = "LLM provider name, as in an agent definition." };
        var output = new Option<string>("--out") { Required = true, Description = "answers.jsonl to write." };
        var command = new Command("record", "Record every model's answer to every task through a configured provider.") { provider, output };
        command.SetAction(async (parse, ct) =>
            await RunAsync(parse.GetValue(data)!, parse.GetValue(provider)!, CascadeReplay.Split(parse.GetValue(models)!), parse.GetValue(output)!, ct));
        return command;
    }

    private static async Task<int> RunAsync(string data, string providerName, string[] models, string output, CancellationToken cancellationToken)
    {
        var tasks = CascadeFixtures.Read<CascadeTask>(Path.Combine(data, "tasks.jsonl"));
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddEnvironmentVariables().Build())
            .AddLogging();
        await using var provider = services.AddApexAgents().BuildServiceProvider();
        var clients = provider.GetRequiredService<IChatClientProvider>();

        await using var writer = new StreamWriter(output);
        var failed = 0;
        foreach (var model in models)
        {
            var client = clients.GetClient(providerName, model);
            foreach (var task in tasks)
            {
                ChatResponse response;
                try
                {
                    response = await client.GetResponseAsync(CascadeReplay.Messages(task), new ChatOptions { ModelId = model, Temperature = 0 }, cancellationToken);
                }
                catch (Exception e) when (e is AgentExecutionException or HttpRequestException or InvalidOperationException)
                {
                    failed++;
                    Console.Error.WriteLine($"{task.Id} / {model}: {e.Message}");
                    continue;
                }
                var answer = new RecordedAnswer(task.Id, model, response.Text, response.Usage?.InputTokenCount ?? 0, response.Usage?.OutputTokenCount ?? 0,
                    CascadeFixtures.IsCorrect(task, response.Text), CascadeFixtures.Describe(task.Reference));
                await writer.WriteLineAsync(JsonSerializer.Serialize(answer, CascadeFixtures.Json).AsMemory(), cancellationToken);
            }
        }
        Console.WriteLine($"Recorded {(tasks.Count * models.Length) - failed} answers to {output} ({failed} failed calls).");
        return failed == 0 ? 0 : 1;
    }
}
