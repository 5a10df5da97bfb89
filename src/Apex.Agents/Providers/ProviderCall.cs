using System.Net;

namespace Apex.Agents.Providers;

/// <summary>
/// What the HTTP layer saw during one attempt. The provider SDKs report statuses in their own exception types and
/// most drop the headers, so <see cref="ProviderResponseRecorder"/> notes status and Retry-After here, flowing down
/// through the async-local, and <see cref="ProviderErrorChatClient"/> reads them back when the SDK throws.
/// </summary>
internal sealed class ProviderCall
{
    private static readonly AsyncLocal<ProviderCall?> CurrentCall = new();

    public static ProviderCall? Current
    {
        get => CurrentCall.Value;
        set => CurrentCall.Value = value;
    }

    public HttpStatusCode? Status { get; set; }

    public TimeSpan? RetryAfter { get; set; }
}
