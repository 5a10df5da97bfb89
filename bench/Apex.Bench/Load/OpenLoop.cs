using System.Diagnostics;

namespace Apex.Bench.Load;

/// <summary>How an open-model run sends: a fixed arrival rate, bounded by time and by count.</summary>
/// <param name="Rate">Arrivals per second.</param>
/// <param name="Duration">Arrivals are scheduled for this long at most.</param>
/// <param name="MaxCount">And at most this many.</param>
/// <param name="MaxInFlight">Requests outstanding at once before the scheduler waits (the wait counts as latency).</param>
/// <param name="Timeout">A request not answered by then is an error (recorded at its latency so far).</param>
internal sealed record Schedule(double Rate, TimeSpan Duration, int MaxCount, int MaxInFlight, TimeSpan Timeout)
{
    public int Arrivals => (int)Math.Min(MaxCount, Math.Ceiling(Rate * Duration.TotalSeconds));
}

/// <summary>What an open-model run measured.</summary>
internal sealed record OpenLoopResult(
    double OfferedRate,
    int Sent,
    int Succeeded,
    int Errors,
    double Seconds,
    LatencySummary Latency,
    LatencySummary ServiceTime,
    double MaxSchedulerLagMs,
    IReadOnlyDictionary<string, int> ErrorKinds)
{
    /// <summary>Successful responses per second over the whole run (first intended send → last response).</summary>
    public double Throughput => Seconds > 0 ? Succeeded / Seconds : 0;

    public double ErrorRate => Sent == 0 ? 0 : (double)Errors / Sent;
}

/// <summary>
/// The open-model load generator. Arrival i is due at <c>start + i / rate</c> whatever happened to the ones before it:
/// a slow server cannot slow the arrivals down (a closed loop of N clients would send less and report the latency of
/// the requests it did send: coordinated omission). Latency is measured from the arrival's <em>intended</em> send time
/// to its response, so time spent waiting for the scheduler, a connection or a free in-flight slot counts against the
/// server, as it would for a real client arriving at that moment. The service time (actual send → response) is kept
/// beside it: the gap between the two is the queueing a closed-loop tool would have hidden.
/// </summary>
internal static class OpenLoop
{
    /// <summary>
    /// Runs <paramref name="send"/> (arrival index → success) on the schedule and waits for every response (each bounded
    /// by <see cref="Schedule.Timeout"/>). An exception or <c>false</c> is an error; its kind is the exception's type
    /// name or the string <paramref name="send"/> put in <see cref="Outcome.Error"/>.
    /// </summary>
    public static Task<OpenLoopResult> RunAsync(Schedule schedule, Func<int, CancellationToken, Task<Outcome>> send, CancellationToken ct) =>
        RunAsync(schedule, (i, _, token) => send(i, token), ct);

    /// <summary>
    /// As above; <paramref name="send"/> also gets the arrival's intended send time (a <see cref="Stopwatch"/>
    /// timestamp), for a caller that measures a later moment of the same arrival from it.
    /// </summary>
    public static async Task<OpenLoopResult> RunAsync(Schedule schedule, Func<int, long, CancellationToken, Task<Outcome>> send, CancellationToken ct)
    {
        var latency = new Latency();
        var service = new Latency();
        var kinds = new Dictionary<string, int>();
        var succeeded = 0;
        var errors = 0;
        var arrivals = schedule.Arrivals;
        var period = Stopwatch.Frequency / schedule.Rate;
        using var slots = new SemaphoreSlim(schedule.MaxInFlight);
        // Counted, not kept: 100,000 finished tasks held to the end were promoted by every collection of the harness
        // (a gen0 pause of 18–29 ms at 5,000/s, measured with dotnet-counters), and those pauses were in the latencies.
        var outstanding = 1;
        var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var maxLag = 0.0;
        var start = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 100); // 10 ms from now: the first arrival is not late
        long lastResponse = start;

        async Task OneAsync(int i, long intended)
        {
            try
            {
                await MeasureAsync(i, intended);
            }
            finally
            {
                if (Interlocked.Decrement(ref outstanding) == 0)
                {
                    allDone.TrySetResult();
                }
            }
        }

        async Task MeasureAsync(int i, long intended)
        {
            await slots.WaitAsync(ct);
            var sent = Stopwatch.GetTimestamp();
            string? error;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(schedule.Timeout);
                var outcome = await send(i, intended, timeout.Token);
                error = outcome.Error;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                error = "timeout";
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                error = e.GetType().Name;
            }
            finally
            {
                slots.Release();
            }
            var done = Stopwatch.GetTimestamp();
            latency.Record(Stopwatch.GetElapsedTime(intended, done));
            service.Record(Stopwatch.GetElapsedTime(sent, done));
            lock (kinds)
            {
                lastResponse = Math.Max(lastResponse, done);
                if (error is null)
                {
                    succeeded++;
                }
                else
                {
                    errors++;
                    kinds[error] = kinds.GetValueOrDefault(error) + 1;
                }
            }
        }

        // The arrivals are sent from a thread of their own, not from the thread pool: on a box the harness shares with
        // the server, a timer continuation queued behind hundreds of response continuations went out milliseconds late
        // (measured: a 3 ms median between intended and actual send at 5,000/s), and that lag was the harness's, not
        // the server's. The thread starts each request itself up to its first wait (the socket write); the responses
        // are read on the pool.
        var scheduled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var scheduler = new Thread(() =>
        {
            try
            {
                for (var i = 0; i < arrivals && !ct.IsCancellationRequested; i++)
                {
                    var intended = start + (long)(i * period);
                    // Never early: sleep until it is due (at least a timer tick, about 1 ms, so the scheduler does not
                    // spin on a box it shares with the server); every arrival due by then goes at once (catch-up,
                    // never skipped).
                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), intended);
                    if (wait > TimeSpan.Zero)
                    {
                        ct.WaitHandle.WaitOne(wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait);
                    }
                    maxLag = Math.Max(maxLag, Stopwatch.GetElapsedTime(intended).TotalMilliseconds);
                    Interlocked.Increment(ref outstanding);
                    _ = OneAsync(i, intended);
                }
                scheduled.TrySetResult();
            }
            catch (Exception e)
            {
                scheduled.TrySetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "Open-loop arrivals",
        };
        scheduler.Start();
        await scheduled.Task;
        ct.ThrowIfCancellationRequested();
        if (Interlocked.Decrement(ref outstanding) == 0)
        {
            allDone.TrySetResult();
        }
        await allDone.Task;
        ct.ThrowIfCancellationRequested();
        var seconds = Stopwatch.GetElapsedTime(start, lastResponse).TotalSeconds;
        return new OpenLoopResult(schedule.Rate, arrivals, succeeded, errors, seconds, latency.Summary(), service.Summary(), maxLag, kinds);
    }
}

/// <summary>One arrival's outcome: <see cref="Error"/> null for success, else a short kind (<c>http_503</c>).</summary>
internal readonly record struct Outcome(string? Error)
{
    public static readonly Outcome Ok = new(null);

    public static Outcome Of(HttpResponseMessage response) => response.IsSuccessStatusCode ? Ok : new($"http_{(int)response.StatusCode}");
}
