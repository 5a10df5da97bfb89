using System.Globalization;
using System.Net.Http.Headers;

namespace Apex.Agents.Providers;

/// <summary>Notes each response's status and Retry-After on the current <see cref="ProviderCall"/>.</summary>
internal sealed class ProviderResponseRecorder(TimeProvider timeProvider) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (ProviderCall.Current is { } call)
        {
            call.Status = response.StatusCode;
            call.RetryAfter = RetryAfter(response.Headers);
        }
        return response;
    }

    /// <summary>OpenAI also sends <c>retry-after-ms</c>, finer than the standard header's seconds.</summary>
    private TimeSpan? RetryAfter(HttpResponseHeaders headers)
    {
        if (headers.TryGetValues("retry-after-ms", out var values)
            && double.TryParse(values.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms >= 0)
        {
            return TimeSpan.FromMilliseconds(ms);
        }
        return headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - timeProvider.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
            _ => null,
        };
    }
}
