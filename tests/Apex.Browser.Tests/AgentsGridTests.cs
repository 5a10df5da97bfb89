using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Apex.Contracts;
using Apex.Contracts.Agents;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Apex.Browser.Tests;

/// <summary>
/// The Agents grid under load: 1,000 agents (real definitions, created through the API), each updated ten times a
/// second by task events pushed through the dashboard's live store path (<c>window.__apexLive.ingest</c>, the function
/// WebSocket messages go through), while requestAnimationFrame counts the frames Chromium paints.
/// </summary>
public sealed class AgentsGridTests(DashboardServer fixture)
{
    private const int Agents = 1000;
    private const int UpdatesPerAgentPerSecond = 10;
    private const double MeasureSeconds = 10;

    // Paced by the clock, not by timer ticks: whatever the timer granularity, the events due by now are sent.
    private const string Driver = """
        async ({ names, rate, seconds, warmup }) => {
          const live = window.__apexLive;
          const running = new Array(names.length).fill(false);
          const taskIds = names.map((_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
          let sent = 0, next = 0, seq = 1e12;
          const perSecond = names.length * rate;
          const t0 = performance.now();
          const pump = () => {
            const due = Math.floor(((performance.now() - t0) / 1000) * perSecond);
            const batch = [];
            for (; sent < due; sent++) {
              const i = next++ % names.length;
              const start = !running[i];
              running[i] = start;
              batch.push({
                seq: ++seq, channel: 'agents', event_type: start ? 'task_started' : 'task_succeeded',
                aggregate_type: 'task', aggregate_id: taskIds[i], agent: names[i],
                data: start ? { attempt: 1, worker: 'driver' }
                            : { attempt: 1, output: 'ok', usage: { input_tokens: 120, output_tokens: 80, cost_usd: 0.00012, api_calls: 1 } },
              });
            }
            live.ingest(batch);
          };
          const timer = setInterval(pump, 4);
          await new Promise((r) => setTimeout(r, warmup * 1000));
          const frames = [];
          const sentAtStart = sent;
          const measureStart = performance.now();
          await new Promise((resolve) => {
            const tick = (now) => {
              frames.push(now);
              if (now - measureStart < seconds * 1000) requestAnimationFrame(tick); else resolve();
            };
            requestAnimationFrame(tick);
          });
          clearInterval(timer);
          const elapsed = (frames[frames.length - 1] - frames[0]) / 1000;
          const gaps = frames.slice(1).map((t, i) => t - frames[i]).sort((a, b) => a - b);
          return {
            fps: (frames.length - 1) / elapsed,
            frames: frames.length - 1,
            seconds: elapsed,
            eventsPerSecond: (sent - sentAtStart) / ((performance.now() - measureStart) / 1000),
            p95FrameMs: gaps[Math.floor(gaps.length * 0.95)],
            maxFrameMs: gaps[gaps.length - 1],
          };
        }
        """;

    [Fact]
    public async Task AgentsGrid_ThousandAgentsTenUpdatesPerSecondEach_HoldsThirtyFramesPerSecond()
    {
        var ct = TestContext.Current.CancellationToken;
        var names = Enumerable.Range(0, Agents).Select(i => string.Create(CultureInfo.InvariantCulture, $"swarm-{i:D4}")).ToArray();
        await CreateAgentsAsync(names, ct);
        var page = await fixture.OpenAsync("/agents");
        var count = page.GetByTestId("agent-count");
        // The list comes with each agent's stats (two store reads per agent): give it time on a loaded box.
        await Expect(count).ToContainTextAsync(new System.Text.RegularExpressions.Regex($"^{Agents + 2} of {Agents + 2} agents"), new() { Timeout = 60_000 });

        var result = await page.EvaluateAsync<JsonElement>(Driver, new { names, rate = UpdatesPerAgentPerSecond, seconds = MeasureSeconds, warmup = 2 });

        var fps = result.GetProperty("fps").GetDouble();
        var rate = result.GetProperty("eventsPerSecond").GetDouble();
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"agents grid: {fps:F1} frames/s over {result.GetProperty("seconds").GetDouble():F1} s ({result.GetProperty("frames").GetInt32()} frames), " +
            $"{rate:F0} events/s, p95 frame {result.GetProperty("p95FrameMs").GetDouble():F1} ms, max frame {result.GetProperty("maxFrameMs").GetDouble():F1} ms"));
        Assert.InRange(rate, Agents * UpdatesPerAgentPerSecond * 0.95, double.MaxValue);
        Assert.True(fps >= 30, $"The agents grid painted {fps:F1} frames/s under {rate:F0} events/s; at least 30 expected.");

        // The updates reached the screen: every agent ran tasks, and the rows in view show their tokens.
        await page.GetByLabel("Status").SelectOptionAsync("all");
        var firstRow = page.GetByTestId("agent-row").Filter(new() { HasText = "swarm-0000" });
        var tokens = await firstRow.Locator("[role=cell]").Nth(5).InnerTextAsync();
        Assert.True(int.Parse(tokens, NumberStyles.AllowThousands, CultureInfo.InvariantCulture) > 0, $"swarm-0000 shows {tokens} tokens");
        await DashboardServer.ScreenshotAsync(page, "agents-grid");

        // Filters: by model, then by status.
        await page.GetByLabel("Model").SelectOptionAsync("sim-large");
        await Expect(count).ToContainTextAsync($"{Agents / 2} of {Agents + 2} agents");
        await page.GetByLabel("Model").SelectOptionAsync("all");
        await page.GetByLabel("Status").SelectOptionAsync("error");
        await Expect(count).ToContainTextAsync($"0 of {Agents + 2} agents");
        await page.Context.CloseAsync();
    }

    private async Task CreateAgentsAsync(string[] names, CancellationToken ct)
    {
        // One at a time: concurrent creates can leave AgentCatalog without some of them (each create reloads the
        // whole catalog, and a reload that read the store before another create's insert may be assigned last).
        using var client = fixture.Server.CreateClient();
        foreach (var name in names)
        {
            var model = name[^1] % 2 == 0 ? "sim-small" : "sim-large";
            using var response = await client.PostAsJsonAsync("/api/v1/agents", new AgentRequest { Name = name, Model = model }, ApexJsonContext.Default.AgentRequest, ct);
            response.EnsureSuccessStatusCode();
        }
    }
}
