using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Apex.Contracts;
using Apex.Contracts.Tasks;
using Apex.Testing;

namespace Apex.E2E.Distributed;

/// <summary>One HTTP attempt of a submission: where it went, when, how long it took and what came back.</summary>
/// <param name="Logical">The logical task (one Idempotency-Key).</param>
/// <param name="Server">Index of the API server it was sent to.</param>
/// <param name="SentAt">When it was sent, from the start of the submitter.</param>
/// <param name="Took">Until the answer or the error.</param>
/// <param name="Status">The HTTP status, or null for a connection error or timeout.</param>
/// <param name="Error">The connection error or timeout, if any.</param>
/// <param name="ProblemJson">Whether the body was <c>application/problem+json</c>.</param>
/// <param name="RetryAfter">The Retry-After header, if any.</param>
internal sealed record SubmitAttempt(int Logical, int Server, TimeSpan SentAt, TimeSpan Took, HttpStatusCode? Status, string? Error, bool ProblemJson, string? RetryAfter)
{
    /// <summary>The moment the answer (or the error) came.</summary>
    public TimeSpan AnsweredAt => SentAt + Took;
}

/// <summary>
/// A client that submits logical tasks as a careful client would: each under an <c>Idempotency-Key</c> of its own, sent
/// to the servers in turn (logical task <c>i</c> starts at server <c>i mod n</c>), and on a connection error, a timeout
/// or a 5xx sent again with the same key to the next server, pausing <see cref="RoundPause"/> after every server failed
/// once, until one answers 2xx or <see cref="GiveUpAfter"/> passed. Every attempt is recorded; a 4xx is a failure of the test.
/// </summary>
internal sealed class IdempotentSubmitter(IReadOnlyList<HttpClient> servers, string keyPrefix, Func<int, CreateTaskRequest> request)
{
    /// <summary>Pause after a round in which every server failed.</summary>
    public static readonly TimeSpan RoundPause = TimeSpan.FromMilliseconds(100);

    /// <summary>How long one logical task is retried before its submission fails.</summary>
    public static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(30);

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<SubmitAttempt> _attempts = new();
    private readonly ConcurrentDictionary<int, Guid> _acknowledged = new();
    private readonly List<Task> _submissions = [];

    /// <summary>Time since the submitter was made: the clock of <see cref="SubmitAttempt.SentAt"/>.</summary>
    public TimeSpan Now => _clock.Elapsed;

    /// <summary>Every attempt so far.</summary>
    public IReadOnlyList<SubmitAttempt> Attempts => [.. _attempts];

    /// <summary>The task id each acknowledged logical task got, by logical task.</summary>
    public IReadOnlyDictionary<int, Guid> Acknowledged => _acknowledged;

    /// <summary>How many logical tasks were started (read it once <see cref="RunAsync"/> returned).</summary>
    public int Started => _submissions.Count;

    /// <summary>The Idempotency-Key of a logical task.</summary>
    public string Key(int logical) => $"{keyPrefix}-{logical}";

    /// <summary>
    /// Starts <paramref name="perSecond"/> logical tasks a second (on a fixed schedule, not waiting for answers) for
    /// <paramref name="duration"/>; returns when the last one was started.
    /// </summary>
    public async Task RunAsync(int perSecond, TimeSpan duration, CancellationToken cancellationToken)
    {
        var interval = TimeSpan.FromSeconds(1.0 / perSecond);
        var begin = Now;
        for (var n = 0; n * interval < duration; n++)
        {
            var due = begin + n * interval - Now;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, cancellationToken);
            }
            _submissions.Add(SubmitAsync(_submissions.Count, cancellationToken));
        }
    }

    /// <summary>Waits until every started logical task was acknowledged.</summary>
    public Task WhenAllAcknowledgedAsync() => Task.WhenAll(_submissions);

    private async Task SubmitAsync(int logical, CancellationToken cancellationToken)
    {
        var first = Now;
        for (var attempt = 0; ; attempt++)
        {
            if (Now - first > GiveUpAfter)
            {
                throw new TimeoutException($"Logical task {logical} was not acknowledged within {GiveUpAfter} ({attempt} attempts).");
            }
            if (attempt > 0 && attempt % servers.Count == 0)
            {
                await Task.Delay(RoundPause, cancellationToken);
            }
            var server = (logical + attempt) % servers.Count;
            var sentAt = Now;
            using var message = new HttpRequestMessage(HttpMethod.Post, "/api/v1/tasks")
            {
                Content = JsonContent.Create(request(logical), ApexJsonContext.Default.CreateTaskRequest),
            };
            message.Headers.Add("Idempotency-Key", Key(logical));
            HttpResponseMessage response;
            try
            {
                response = await servers[server].SendAsync(message, cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                _attempts.Enqueue(new SubmitAttempt(logical, server, sentAt, Now - sentAt, null, $"{e.GetType().Name}: {e.Message}", false, null));
                continue;
            }
            using (response)
            {
                var took = Now - sentAt;
                var problem = response.Content.Headers.ContentType?.MediaType == "application/problem+json";
                var retryAfter = response.Headers.RetryAfter?.ToString();
                _attempts.Enqueue(new SubmitAttempt(logical, server, sentAt, took, response.StatusCode, null, problem, retryAfter));
                if (response.IsSuccessStatusCode)
                {
                    var task = await response.ReadAsync(ApexJsonContext.Default.TaskResponse, cancellationToken);
                    _acknowledged[logical] = task.Id;
                    return;
                }
                if ((int)response.StatusCode < 500)
                {
                    throw new HttpRequestException($"Logical task {logical} got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                }
            }
        }
    }
}
