using Apex.Contracts.Tasks;
using Apex.Testing;
using Apex.Testing.LlmFakes;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.E2E.Distributed;

[Collection(DistributedCollection.Name)]
public sealed class LlmCacheAcrossWorkersTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>
    /// <c>Apex:LlmCache</c> in distributed mode: Redis is the response cache's second level in workers too, so an answer
    /// one worker process got serves another process that never saw it, and the hit is no API call.
    /// </summary>
    [Fact]
    public async Task SameRequestOnAnotherWorkerProcess_IsAnsweredFromRedisWithoutCallingTheProvider()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = await OpenAiFake.StartAsync(ct);
        await using var cluster = await DistributedCluster.CreateAsync(DistributedCluster.SharedRedisOrSkip(), DistributedCluster.SharedPostgresOrSkip(), ct);
        try
        {
            var settings = new Dictionary<string, string>
            {
                ["OPENAI_BASE_URL"] = fake.BaseUrl,
                ["OPENAI_API_KEY"] = FakeSecrets.OpenAi("apex-e2e-cache-1b2c"),
                ["Apex:LlmCache:Enabled"] = "true",
            };
            var server = await cluster.StartServerAsync(settings, ct);
            using var client = server.CreateClient();
            var first = await cluster.StartWorkerAsync("cache-1", 2, settings, ct);

            var asked = await client.WaitForTaskAsync((await client.CreateTaskAsync(TaskRequest("What is the boiling point of water at sea level?"), ct)).Id, Deadline, ct);
            Assert.Equal((TaskState.Succeeded, 1, 1), (asked.Status, asked.Usage.ApiCalls, fake.RequestCount));

            // The first worker leaves; a new process, its memory empty, takes the same question.
            first.Terminate();
            Assert.True(await first.Process.WaitForExitAsync(TimeSpan.FromSeconds(20), ct), "the first worker did not exit");
            await cluster.StartWorkerAsync("cache-2", 2, settings, ct);
            var again = await client.WaitForTaskAsync((await client.CreateTaskAsync(TaskRequest("What is the boiling point of water at sea level?"), ct)).Id, Deadline, ct);

            Assert.Equal((TaskState.Succeeded, asked.Output), (again.Status, again.Output));
            Assert.Equal(1, fake.RequestCount);
            Assert.Equal((0, 0L), (again.Usage.ApiCalls, again.Usage.OutputTokens));
        }
        catch
        {
            cluster.DumpLogs();
            throw;
        }
    }
}
