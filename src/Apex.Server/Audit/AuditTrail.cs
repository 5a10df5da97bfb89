using System.Diagnostics;
using System.Globalization;
using System.Security.Claims;
using System.Threading.Channels;
using Apex.Core.Security;
using Apex.Server.Security;
using Microsoft.Extensions.Options;

namespace Apex.Server.Audit;

/// <summary>
/// Where code records security-relevant actions: <see cref="Record(HttpContext, string, string, string, string?, string?, string?)"/>
/// never blocks and never throws for a full queue. Entries wait in a bounded channel (<see cref="AuditOptions.QueueCapacity"/>)
/// that <see cref="AuditWriter"/> appends to the store in batches; when the channel is full the entry is dropped and
/// counted, and an <c>audit.dropped</c> entry with the count follows once there is room. docs/audit.md.
/// <para>
/// From an endpoint, one line: <c>audit.Record(httpContext, AuditActions.QuotaChanged, AuditOutcomes.Success,
/// $"tenant:{tenant}", "requests_per_second 10 → 20", tenant: tenant)</c>, or mark the endpoint with
/// <c>.Audited(AuditActions.QuotaChanged, (http, result) => new AuditSubject($"tenant:{http.Request.RouteValues["tenant"]}"))</c>
/// (<see cref="AuditEndpoints"/>), which records success or failure from the handler's outcome.
/// </para>
/// </summary>
internal sealed class AuditTrail
{
    private readonly Channel<AuditEvent> _channel;
    private readonly AuditOptions _options;
    private readonly TimeProvider _time;
    private long _dropped;

    public AuditTrail(IOptions<AuditOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        _channel = Channel.CreateBounded<AuditEvent>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>What the writer drains.</summary>
    internal ChannelReader<AuditEvent> Reader => _channel.Reader;

    /// <summary>
    /// Records an action of the request's caller: actor, tenant and client address from <paramref name="context"/>, the
    /// trace id from <see cref="Activity.Current"/>.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <param name="action">An <see cref="AuditActions"/> value.</param>
    /// <param name="outcome">An <see cref="AuditOutcomes"/> value.</param>
    /// <param name="target">What was acted on, such as <c>key:&lt;id&gt;</c>.</param>
    /// <param name="detail">A short explanation; never a secret.</param>
    /// <param name="tenant">The tenant concerned, when not the caller's (a platform admin acting on another tenant).</param>
    /// <param name="actor">Who, when the request's user does not say (a refused credential).</param>
    public void Record(HttpContext context, string action, string outcome, string target, string? detail = null, string? tenant = null, string? actor = null) =>
        Record(new AuditEvent
        {
            Time = _time.GetUtcNow(),
            Actor = actor ?? Actor(context.User),
            TenantId = tenant ?? context.User.TenantId(),
            Action = action,
            Target = target,
            Outcome = outcome,
            Detail = detail,
            TraceId = Activity.Current is { TraceId: var id } && id != default ? id.ToHexString() : null,
            ClientAddress = context.Connection.RemoteIpAddress?.ToString(),
        });

    /// <summary>Queues an entry; drops and counts it when the queue is full.</summary>
    public void Record(AuditEvent e)
    {
        if (!_channel.Writer.TryWrite(e with { Actor = Cut(e.Actor)!, Target = Cut(e.Target)!, Detail = Cut(e.Detail) }))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>The entry that reports the entries dropped since the last one, or null when none were.</summary>
    internal AuditEvent? TakeDropped()
    {
        var dropped = Interlocked.Exchange(ref _dropped, 0);
        return dropped == 0 ? null : new AuditEvent
        {
            Time = _time.GetUtcNow(),
            Actor = "apex",
            TenantId = Core.Tenancy.DefaultTenant,
            Action = AuditActions.Dropped,
            Target = "audit_log",
            Outcome = AuditOutcomes.Failure,
            Detail = string.Create(CultureInfo.InvariantCulture, $"{dropped} entries dropped: the queue (Apex:Audit:QueueCapacity) was full."),
        };
    }

    /// <summary>
    /// The caller as the log names it: <c>key:&lt;id&gt;</c> for a stored key, <c>bootstrap</c>, <c>jwt:&lt;subject&gt;</c>,
    /// or <c>anonymous</c> (no credential, including every caller of an open server).
    /// </summary>
    internal static string Actor(ClaimsPrincipal user)
    {
        if (user.Identity is not { IsAuthenticated: true } identity)
        {
            return "anonymous";
        }
        if (user.FindFirst(ApexClaims.KeyId)?.Value is { } keyId)
        {
            return $"key:{keyId}";
        }
        var name = user.FindFirst(ApexClaims.Name)?.Value ?? "unknown";
        return identity.AuthenticationType == ApexAuthentication.JwtScheme ? $"jwt:{name}" : name;
    }

    private string? Cut(string? value) => value is null || value.Length <= _options.MaxFieldLength ? value : value[.._options.MaxFieldLength];
}
