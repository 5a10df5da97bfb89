using System.Text.Json;
using Apex.Contracts.Tasks;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.E2E;

/// <summary>The server process's console log as a deployment gets it: one JSON object per line, with the ids to join it.</summary>
public sealed class StructuredLogTests
{
    [Fact]
    public async Task JsonLog_OfAFailedAttempt_CarriesTheTaskScopeAndTheTraceOfItsSubmission()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["Apex:Logging:Format"] = "json",
            ["Apex:Tracing:Enabled"] = "true", // spans recorded, exported nowhere: the log lines still get their ids
        }, ct);
        using var client = server.CreateClient();

        var task = await client.CreateTaskAsync(TaskRequest("Fail on purpose. [[simulate:error]]") with { MaxAttempts = 1 }, ct);
        Assert.Equal(TaskState.Failed, (await client.WaitForTaskAsync(task.Id, TimeSpan.FromSeconds(30), ct)).Status);

        var lines = await ApexHttp.PollAsync(async () =>
        {
            var json = (await ReadLogAsync(server.LogPath, ct)).ToList();
            return json.Any(l => l.GetProperty("EventId").GetInt32() == 2001) ? json : null;
        }, TimeSpan.FromSeconds(10), ct);
        Assert.NotNull(lines);
        Assert.NotEmpty(lines);

        var failed = lines.Single(l => l.GetProperty("EventId").GetInt32() == 2001);
        Assert.Equal("Warning", failed.GetProperty("LogLevel").GetString());
        Assert.Equal(task.Id.ToString(), failed.GetProperty("State").GetProperty("TaskId").GetString());
        var scopes = failed.GetProperty("Scopes").EnumerateArray().ToList();
        var traceId = scopes.Select(s => s.TryGetProperty("TraceId", out var id) ? id.GetString() : null).Single(id => id is not null);
        Assert.Matches("^[0-9a-f]{32}$", traceId);
        Assert.Contains(scopes, s => s.TryGetProperty("TaskId", out var id) && id.GetString() == task.Id.ToString());
        Assert.Contains(scopes, s => s.TryGetProperty("Attempt", out var attempt) && attempt.ToString() == "1");
        Assert.Contains(lines, l => l.GetProperty("Category").GetString()!.StartsWith("Microsoft.Hosting", StringComparison.Ordinal));
    }

    /// <summary>The server's standard output, each line a JSON object (the test harness prefixes a time and the stream).</summary>
    private static async Task<IEnumerable<JsonElement>> ReadLogAsync(string path, CancellationToken ct)
    {
        string text;
        await using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        using (var reader = new StreamReader(stream))
        {
            text = await reader.ReadToEndAsync(ct);
        }
        var lines = new List<JsonElement>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var start = line.IndexOf("[out] ", StringComparison.Ordinal);
            if (start < 0)
            {
                continue;
            }
            // Every line the server writes to standard output must be one JSON object.
            lines.Add(JsonDocument.Parse(line[(start + 6)..]).RootElement.Clone());
        }
        return lines;
    }
}
