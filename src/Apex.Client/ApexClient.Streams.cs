using System.Globalization;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Apex.Contracts;
using Apex.Contracts.Tasks;

namespace Apex.Client;

public sealed partial class ApexClient
{
    /// <summary>Reads a server-sent event stream of <see cref="TaskEventResponse"/> frames (<c>id: seq</c>, <c>event: type</c>, <c>data: json</c>).</summary>
    private async IAsyncEnumerable<TaskEventResponse> StreamAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var parser = SseParser.Create(stream, ParseEvent);
        await foreach (var item in parser.EnumerateAsync(cancellationToken))
        {
            if (item.Data is not { } e)
            {
                continue;
            }
            if (e.Seq == 0 && long.TryParse(item.EventId, NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
            {
                e = e with { Seq = seq };
            }
            yield return e;
        }
    }

    /// <summary>Reads the <c>data</c> of a frame; frames without a JSON object (keep-alives) yield null and are skipped.</summary>
    private static TaskEventResponse? ParseEvent(string eventType, ReadOnlySpan<byte> data)
    {
        var trimmed = data.TrimStart(" \t\r\n"u8);
        if (trimmed.IsEmpty || trimmed[0] != (byte)'{')
        {
            return null;
        }
        return JsonSerializer.Deserialize(data, ApexJsonContext.Default.TaskEventResponse);
    }
}
