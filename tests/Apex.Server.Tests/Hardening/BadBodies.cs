using System.Diagnostics;
using System.Text;

namespace Apex.Server.Tests.Hardening;

/// <summary>Builds and sends <see cref="BadBody"/> requests over a real socket.</summary>
internal static class BadBodies
{
    public const int Megabyte = 1_000_000;
    public const int Intended = 10_000_000;
    public const int Depth = 10_000;
    private const int Piece = 64 * 1024;

    private static readonly byte[] Unterminated = Build(Megabyte, "{\"instruction\": \"", "");
    private static readonly byte[] Trailing = Build(Megabyte, "{\"instruction\": \"", "\",,}");
    private static readonly byte[] RootBomb = Encoding.ASCII.GetBytes(new string('[', Depth) + new string(']', Depth));
    private static readonly byte[] FieldBomb = Encoding.ASCII.GetBytes(
        "{\"instruction\": \"x\", \"output_schema\": " + string.Concat(Enumerable.Repeat("{\"a\": ", Depth)) + "1" + new string('}', Depth) + "}");
    private static readonly byte[] Opening = Build(Piece, "{\"instruction\": \"", "");
    private static readonly byte[] Filler = Build(Piece, "", "");

    /// <summary>Bytes the server must read before it can answer: the lower bound of what passed through it.</summary>
    public static long MustRead(BadBody body) => body switch
    {
        BadBody.MalformedMegabyteUnterminated or BadBody.MalformedMegabyteTrailing => Megabyte,
        BadBody.OverLimitChunked => 1024 * 1024, // the default limit, Apex:Api:MaxRequestBodyBytes
        _ => 0,
    };

    public static async Task<BadBodyOutcome> SendAsync(Uri server, string method, string route, BadBody body, CancellationToken cancellationToken)
    {
        await using var connection = await RawHttpConnection.OpenAsync(server, cancellationToken);
        var json = "Content-Type: application/json";
        switch (body)
        {
            case BadBody.OverLimitDeclared:
                await connection.SendAsync(RawHttpConnection.Head(method, route, json, $"Content-Length: {Intended}"), cancellationToken);
                await connection.SendAsync(Opening, cancellationToken);
                break;
            case BadBody.OverLimitChunked:
                await connection.SendAsync(RawHttpConnection.Head(method, route, json, "Transfer-Encoding: chunked"), cancellationToken);
                var answer = connection.ReadResponseAsync(cancellationToken);
                await SendChunksUntilAnsweredAsync(connection, answer, cancellationToken);
                return Outcome(body, route, await answer, connection.BytesSent);
            default:
                var bytes = body switch
                {
                    BadBody.MalformedMegabyteUnterminated => Unterminated,
                    BadBody.MalformedMegabyteTrailing => Trailing,
                    BadBody.DepthBombRoot => RootBomb,
                    _ => FieldBomb,
                };
                await connection.SendAsync(RawHttpConnection.Head(method, route, json, $"Content-Length: {bytes.Length}"), cancellationToken);
                await connection.SendAsync(bytes, cancellationToken);
                break;
        }
        return Outcome(body, route, await connection.ReadResponseAsync(cancellationToken), connection.BytesSent);
    }

    private static async Task SendChunksUntilAnsweredAsync(RawHttpConnection connection, Task answer, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (!answer.IsCompleted && connection.BytesSent < Intended && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            try
            {
                await connection.SendChunkAsync(connection.BytesSent < Piece ? Opening : Filler, cancellationToken);
            }
            catch (IOException)
            {
                return; // The server answered and closed.
            }
            // A breath between pieces, so what is counted as sent is close to what the server received (loopback
            // buffers hold megabytes) and an answer is seen soon after it arrives.
            await Task.WhenAny(answer, Task.Delay(5, cancellationToken));
        }
    }

    private static BadBodyOutcome Outcome(BadBody body, string route, RawHttpResponse? response, long sent) =>
        new(body, route, response?.Status ?? 0, response?.ContentType, response?.Body ?? "(closed without an answer)", sent);

    private static byte[] Build(int total, string prefix, string suffix) =>
        Encoding.ASCII.GetBytes(prefix + new string('x', total - prefix.Length - suffix.Length) + suffix);
}
