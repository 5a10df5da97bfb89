using System.Diagnostics;
using System.Text.Json;

namespace Apex.Bench.Load;

/// <summary>One rate of the fixed-rate submission scenario.</summary>
/// <param name="Submit">Intended send → <c>POST /api/v1/tasks</c> answered (201).</param>
/// <param name="Succeeded">Intended send → the task's <c>task_succeeded</c> read by the harness's WebSocket.</param>
/// <param name="Unfinished">Accepted tasks whose <c>task_succeeded</c> did not arrive within the wait.</param>
internal sealed record SubmitFlowResult(double Rate, OpenLoopResult Run, LatencySummary Submit, LatencySummary Succeeded, int Unfinished, ResourceUsage Resources);

/// <summary>
/// Tasks submitted one <c>POST /api/v1/tasks</c> each at a fixed rate (open model) to the zero-latency Simulated agent:
/// how long the submission takes and how long until the task has succeeded, both from each arrival's intended send
/// time, so a server that falls behind shows it in both.
/// </summary>
internal static class SubmitFlow
{
    public static async Task<SubmitFlowResult> RunAsync(LoadTarget target, double rate, Schedule schedule, Schedule warmup, TimeSpan wait, CancellationToken ct)
    {
        // A zero-latency task can succeed before its submission's answer is read: whichever of the two arrives first
        // waits in its dictionary for the other, both under one lock.
        var gate = new Lock();
        var succeededAt = new Dictionary<Guid, long>();
        var intendedOf = new Dictionary<Guid, long>();
        var endToEnd = new Latency();
        var measuring = false;
        var sent = false;
        var remaining = 0;
        var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        void Finish(long intended, long at)
        {
            endToEnd.Record(Stopwatch.GetElapsedTime(intended, at));
            if (Interlocked.Decrement(ref remaining) == 0 && Volatile.Read(ref sent))
            {
                allDone.TrySetResult();
            }
        }

        void Seen(SeenEvent e)
        {
            if (e.Type != "task_succeeded")
            {
                return;
            }
            long intended;
            lock (gate)
            {
                if (!intendedOf.Remove(e.TaskId, out intended))
                {
                    succeededAt[e.TaskId] = e.Received;
                    return;
                }
            }
            Finish(intended, e.Received);
        }

        await using var watcher = await EventWatcher.StartAsync(target.BaseAddress, "tasks", Seen, ct);
        // The intended send time is the open loop's own (its schedule starts 10 ms after the call: a start taken here
        // made every end-to-end latency 10 ms too long).
        async Task<Outcome> SendAsync(int i, long intended, CancellationToken token)
        {
            using var response = await HttpScenarios.PostJsonAsync(target.Http, "api/v1/tasks", $$"""{"name":"load","instruction":"Flow {{i}}."}""", token);
            if (!response.IsSuccessStatusCode)
            {
                return Outcome.Of(response);
            }
            if (!measuring)
            {
                return Outcome.Ok;
            }
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(token));
            var id = document.RootElement.GetProperty("id").GetGuid();
            Interlocked.Increment(ref remaining);
            long at;
            lock (gate)
            {
                if (!succeededAt.Remove(id, out at))
                {
                    intendedOf[id] = intended;
                    return Outcome.Ok;
                }
            }
            Finish(intended, at);
            return Outcome.Ok;
        }

        await OpenLoop.RunAsync(warmup, SendAsync, ct);
        await Task.Delay(TimeSpan.FromSeconds(1), ct); // the warm-up's tasks finish before the measured phase
        lock (gate)
        {
            succeededAt.Clear();
        }
        await using var monitor = ResourceMonitor.Start(target);
        Volatile.Write(ref measuring, true);
        var run = await OpenLoop.RunAsync(schedule, SendAsync, ct);
        Volatile.Write(ref sent, true);
        if (Volatile.Read(ref remaining) == 0)
        {
            allDone.TrySetResult();
        }
        try
        {
            await allDone.Task.WaitAsync(wait, ct);
        }
        catch (TimeoutException)
        {
            // Reported as unfinished below.
        }
        var resources = await monitor.StopAsync();
        if (watcher.Failure is { } failure)
        {
            Console.Error.WriteLine($"The event watcher stopped ({failure}).");
        }
        return new SubmitFlowResult(rate, run, run.Latency, endToEnd.Summary(), Volatile.Read(ref remaining), resources);
    }
}
