using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Apex.Testing.LlmFakes;

/// <summary>
/// A fake LLM server on loopback (Kestrel, port chosen by the OS) speaking one provider's wire format. It answers
/// with the <see cref="FakeReply"/>s queued by <see cref="Enqueue"/>, in order, then with a deterministic echo of the
/// last user message (with usage, streamed when asked), so a whole DAG can run on it. It records every request.
/// </summary>
public abstract class LlmFake : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    private readonly ConcurrentQueue<FakeReply> _replies = new();
    private readonly Lock _lock = new();
    private readonly List<RecordedRequest> _requests = [];
    private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];
    private WebApplication? _app;

    /// <summary>Root address of the server, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri Address { get; private set; } = new("http://127.0.0.1");

    /// <summary>What the provider's client (and its ecosystem variable) takes as base URL.</summary>
    public abstract string BaseUrl { get; }

    /// <summary>Requests received so far, on any path.</summary>
    public int RequestCount
    {
        get
        {
            lock (_lock)
            {
                return _requests.Count;
            }
        }
    }

    /// <summary>The requests received so far, oldest first.</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>The path of the provider's chat endpoint.</summary>
    protected abstract string ChatPath { get; }

    /// <summary>Queues replies for the next requests, in order.</summary>
    public void Enqueue(params FakeReply[] replies)
    {
        foreach (var reply in replies)
        {
            _replies.Enqueue(reply);
        }
    }

    /// <summary>Completes once <paramref name="count"/> requests have arrived.</summary>
    public Task WaitForRequestsAsync(int count, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_requests.Count >= count)
            {
                return Task.CompletedTask;
            }
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, reached));
            return reached.Task.WaitAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>Starts listening; called once by the subclass's <c>StartAsync</c>.</summary>
    protected async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.Run(HandleAsync);
        await _app.StartAsync(cancellationToken);
        var addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!;
        Address = new Uri(addresses.Addresses.First());
    }

    /// <summary>Whether the request asked for a streamed answer.</summary>
    protected abstract bool IsStreaming(JsonNode request);

    /// <summary>Text of the request's last user message.</summary>
    protected abstract string LastUserText(JsonNode request);

    /// <summary>Writes a successful reply as a JSON body.</summary>
    protected abstract Task WriteJsonAsync(HttpResponse response, JsonNode request, FakeReply reply, CancellationToken cancellationToken);

    /// <summary>Writes a successful reply in the provider's streaming format.</summary>
    protected abstract Task WriteStreamAsync(HttpResponse response, JsonNode request, FakeReply reply, CancellationToken cancellationToken);

    /// <summary>The provider's error body for a failing <paramref name="reply"/>.</summary>
    protected abstract JsonNode ErrorBody(FakeReply reply);

    /// <summary>The reply's text in small pieces, as a model streams it: by word, or every <see cref="FakeReply.PieceLength"/> characters.</summary>
    protected static IEnumerable<string> Pieces(FakeReply reply) =>
        reply.PieceLength is { } length ? (reply.Text ?? "").Chunk(length).Select(c => new string(c)) : Pieces(reply.Text ?? "");

    private static IEnumerable<string> Pieces(string text)
    {
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == ' ')
            {
                yield return text[start..(i + 1)];
                start = i + 1;
            }
        }
        if (start < text.Length)
        {
            yield return text[start..];
        }
    }

    /// <summary>Serializes without indentation, one line (SSE and NDJSON need that).</summary>
    protected static string Line(JsonNode node) => node.ToJsonString(Compact);

    /// <summary>Writes and flushes, so the client sees each chunk as it comes.</summary>
    protected static async Task WriteFlushedAsync(HttpResponse response, string text, CancellationToken cancellationToken)
    {
        await response.WriteAsync(text, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    private async Task HandleAsync(HttpContext context)
    {
        var cancellationToken = context.RequestAborted;
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(cancellationToken);
        JsonNode? json;
        try
        {
            json = body.Length == 0 ? null : JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            json = null;
        }
        Record(new RecordedRequest(context.Request.Method, context.Request.Path.Value ?? "",
            context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), body, json, Stopwatch.GetTimestamp()));

        if (!HttpMethods.IsPost(context.Request.Method) || context.Request.Path != ChatPath || json is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        var reply = _replies.TryDequeue(out var queued) ? queued : Echo(json);
        try
        {
            await Task.Delay(reply.Delay, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        context.Response.StatusCode = reply.Status;
        foreach (var (name, value) in reply.Headers)
        {
            context.Response.Headers[name] = value;
        }
        if (reply.RawBody is not null)
        {
            context.Response.ContentType = reply.RawContentType;
            await context.Response.WriteAsync(reply.RawBody, cancellationToken);
        }
        else if (reply.Status >= 400)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(Line(ErrorBody(reply)), cancellationToken);
        }
        else if (IsStreaming(json))
        {
            await WriteStreamAsync(context.Response, json, reply, cancellationToken);
        }
        else
        {
            context.Response.ContentType = "application/json";
            await WriteJsonAsync(context.Response, json, reply, cancellationToken);
        }
    }

    private FakeReply Echo(JsonNode request)
    {
        var prompt = LastUserText(request);
        var text = $"[fake] You said: {prompt}";
        return FakeReply.WithText(text, inputTokens: (request.ToJsonString().Length + 3) / 4, outputTokens: (text.Length + 3) / 4);
    }

    private void Record(RecordedRequest request)
    {
        lock (_lock)
        {
            _requests.Add(request);
            foreach (var waiter in _waiters.Where(w => w.Count <= _requests.Count).ToList())
            {
                waiter.Reached.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }
}
