using Apex.Contracts.Tasks;
using Apex.Testing;
using Microsoft.Playwright;
using Xunit;
using static Apex.Testing.Specs;
using static Microsoft.Playwright.Assertions;

namespace Apex.Browser.Tests;

/// <summary>The task detail view, reached from a DAG's graph.</summary>
public sealed class TaskDetailTests(DashboardServer fixture)
{
    [Fact]
    public async Task OpenTask_FromTheDagGraph_ShowsInstructionOutputUsageAndEvents()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = fixture.Server.CreateClient();
        var dag = await client.CreateDagAsync(Dag(Node("draft", "Draft a haiku about queues."), Node("polish", "Polish: {{tasks.draft.output}}", "draft")), ct);
        var draft = dag.Tasks!.Single(t => t.Key == "draft");
        var page = await fixture.OpenAsync($"/dags/{dag.Id}");

        await page.Locator(".dag-node[data-key='draft']").ClickAsync();

        await Expect(page).ToHaveURLAsync($"{fixture.Server.BaseAddress}tasks/{draft.Id}");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Task draft" })).ToContainTextAsync("succeeded", new() { Timeout = 60_000 });
        var task = await client.WaitForTaskAsync(draft.Id, TimeSpan.FromSeconds(60), ct);
        Assert.Equal(TaskState.Succeeded, task.Status);
        Assert.Contains("[simulated]", task.Output, StringComparison.Ordinal);
        await Expect(page.GetByTestId("instruction")).ToHaveTextAsync("Draft a haiku about queues.");
        await Expect(page.GetByTestId("output")).ToHaveTextAsync(task.Output!);
        await Expect(page.GetByTestId("attempts")).ToHaveTextAsync($"1 of {task.MaxAttempts}");
        await Expect(page.GetByTestId("tokens")).ToContainTextAsync($"{task.Usage.InputTokens:N0} in, {task.Usage.OutputTokens:N0} out");
        var timeline = page.GetByTestId("timeline");
        await Expect(timeline).ToContainTextAsync("created");
        await Expect(timeline).ToContainTextAsync("started");
        await Expect(timeline).ToContainTextAsync("succeeded");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel" })).ToBeDisabledAsync();
        await DashboardServer.ScreenshotAsync(page, "task-detail");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task OpenTask_WhileItRuns_StreamsTheOutputAsItIsWritten()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = fixture.Server.CreateClient();
        // The Simulated provider's delay directive: the first piece after 4 s, the rest spread over the next 4 s.
        var task = await client.CreateTaskAsync(TaskRequest("Explain backpressure slowly. [[simulate:delay=8000]]"), ct);
        var page = await fixture.OpenAsync($"/tasks/{task.Id}");
        await fixture.ExpectLiveAsync(page);

        var heading = page.GetByRole(AriaRole.Heading, new() { Name = "Output" });
        await Expect(heading).ToContainTextAsync("(streaming)");
        var partial = await page.GetByTestId("output").InnerTextAsync();
        await DashboardServer.ScreenshotAsync(page, "task-streaming");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("succeeded");

        var done = await client.WaitForTaskAsync(task.Id, TimeSpan.FromSeconds(60), ct);
        Assert.Equal(TaskState.Succeeded, done.Status);
        Assert.False(string.IsNullOrEmpty(partial));
        Assert.True(partial.Length < done.Output!.Length, $"seen while streaming: {partial.Length} characters of {done.Output.Length}");
        Assert.StartsWith(partial, done.Output, StringComparison.Ordinal);
        await Expect(heading).Not.ToContainTextAsync("(streaming)");
        await Expect(page.GetByTestId("output")).ToHaveTextAsync(done.Output);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task CancelThenRetry_FromTheTaskPage_StopsTheTaskAndRunsItAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = fixture.Server.CreateClient();
        var task = await client.CreateTaskAsync(TaskRequest("Take your time. [[simulate:delay=30000]]"), ct);
        var page = await fixture.OpenAsync($"/tasks/{task.Id}");
        var heading = page.GetByRole(AriaRole.Heading, new() { Level = 1 });
        await Expect(heading).ToContainTextAsync("running");
        var retry = page.GetByRole(AriaRole.Button, new() { Name = "Retry" });
        await Expect(retry).ToBeDisabledAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();

        await Expect(heading).ToContainTextAsync("cancelled");
        Assert.Equal(TaskState.Cancelled, (await client.GetTaskAsync(task.Id, ct)).Status);
        await Expect(retry).ToBeEnabledAsync();
        await retry.ClickAsync();

        await Expect(heading).ToContainTextAsync(new System.Text.RegularExpressions.Regex("queued|running"));
        var again = await client.WaitForTaskAsync(task.Id, new HashSet<TaskState> { TaskState.Running }, TimeSpan.FromSeconds(30), ct);
        Assert.Equal(2, again.Attempt);
        await Expect(page.GetByTestId("attempts")).ToHaveTextAsync($"2 of {again.MaxAttempts}");
        await Expect(page.GetByTestId("timeline")).ToContainTextAsync("retried");
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(heading).ToContainTextAsync("cancelled");
        await page.Context.CloseAsync();
    }
}
