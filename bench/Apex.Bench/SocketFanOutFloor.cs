using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Apex.Bench;

/// <summary>
/// The machine's floor under the <c>ws</c> bench: the same fan-out with no Apex, no WebSocket and no commit. One process
/// holds C loopback TCP connections; for each message a sender writes the same bytes to every connection (split over
/// the cores, as the server's writers are) and C asynchronous readers, one per connection as the ws bench's clients,
/// take them. Reports send start → each reader, so what <c>ws</c> measures above this is Apex's own cost.
/// </summary>
internal static class SocketFanOutFloor
{
    public static Command Command()
    {
        var clients = new Option<int>("--clients") { DefaultValueFactory = _ => 1_000, Description = "Connections, each receiving every message." };
        var messages = new Option<int>("--messages") { DefaultValueFactory = _ => 300, Description = "Messages measured (after 30 not measured)." };
        var rate = new Option<int>("--rate") { DefaultValueFactory = _ => 15, Description = "Messages per second (the ws bench at 5 tasks/s stores 15 events/s)." };
        var bytes = new Option<int>("--bytes") { DefaultValueFactory = _ => 600, Description = "Message size (an Apex task event frame is about 600 bytes)." };
        var command = new Command("ws-floor", "The machine's floor for the ws bench: raw loopback TCP fan-out to many in-process readers.") { clients, messages, rate, bytes };
        command.SetAction(async (parse, ct) => await RunAsync(parse.GetValue(clients), parse.GetValue(messages), parse.GetValue(rate), parse.GetValue(bytes), ct));
        return command;
    }

    private static async Task<int> RunAsync(int clients, int messages, int rate, int bytes, CancellationToken ct)
    {
        const int Warmup = 30;
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(clients);
        var senders = new Socket[clients];
        var readers = new Socket[clients];
        try
        {
            for (var i = 0; i < clients; i++)
            {
                readers[i] = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                var connecting = readers[i].ConnectAsync(listener.LocalEndPoint!, ct);
                senders[i] = await listener.AcceptAsync(ct);
                senders[i].NoDelay = true;
                await connecting;
            }

            var received = new long[clients];
            var count = 0;
            var round = new SemaphoreSlim(0);
            var loops = Enumerable.Range(0, clients).Select(i => Task.Run(async () =>
            {
                var buffer = new byte[64 * 1024];
                var pending = 0;
                while (await readers[i].ReceiveAsync(buffer, ct) is var n and > 0)
                {
                    // A message may arrive in pieces; it counts when its last byte is in.
                    pending += n;
                    while (pending >= bytes)
                    {
                        pending -= bytes;
                        received[i] = Stopwatch.GetTimestamp();
                        if (Interlocked.Increment(ref count) == clients)
                        {
                            round.Release();
                        }
                    }
                }
            }, ct)).ToArray();

            var payload = new byte[bytes];
            var latencies = new List<double>(clients * messages);
            var first = new List<double>(messages);
            var interval = TimeSpan.FromSeconds(1.0 / rate);
            for (var m = 0; m < Warmup + messages; m++)
            {
                var due = Stopwatch.GetTimestamp() + (long)(interval.TotalSeconds * Stopwatch.Frequency);
                Volatile.Write(ref count, 0);
                var sent = Stopwatch.GetTimestamp();
                Parallel.For(0, clients, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct },
                    i => senders[i].Send(payload));
                if (!await round.WaitAsync(TimeSpan.FromSeconds(30), ct))
                {
                    Console.Error.WriteLine($"Message {m} did not reach every reader within 30 s.");
                    return 1;
                }
                if (m >= Warmup)
                {
                    var each = received.Select(t => Stopwatch.GetElapsedTime(sent, t).TotalMilliseconds).ToList();
                    latencies.AddRange(each);
                    first.Add(each.Min());
                }
                if (Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due) is { TotalMilliseconds: > 0 } wait)
                {
                    await Task.Delay(wait, ct);
                }
            }
            foreach (var sender in senders)
            {
                sender.Shutdown(SocketShutdown.Send);
            }
            await Task.WhenAll(loops);

            latencies.Sort();
            first.Sort();
            Console.WriteLine($"Machine: {Machine.Describe()}");
            Console.WriteLine($"Raw TCP fan-out floor: {clients} loopback connections in one process, {messages} messages of {bytes} bytes at {rate}/s (after {Warmup} not measured), "
                + $"sends split over {Environment.ProcessorCount} cores, one async reader per connection:");
            Console.WriteLine();
            Console.WriteLine("| Metric | Value |");
            Console.WriteLine("|---|---|");
            Console.WriteLine($"| Send start → reader p50 / p95 / p99 / max | {P(latencies, 50):N2} / {P(latencies, 95):N2} / {P(latencies, 99):N2} / {P(latencies, 100):N2} ms |");
            Console.WriteLine($"| Send start → first reader p50 / p99 | {P(first, 50):N2} / {P(first, 99):N2} ms |");
            return 0;
        }
        finally
        {
            foreach (var socket in senders.Concat(readers))
            {
                socket?.Dispose();
            }
        }
    }

    private static double P(List<double> sorted, double p) => Machine.Percentile(sorted, p);
}
