namespace Apex.Server.Quotas;

/// <summary>
/// One rate-limited caller: a key (<c>key</c>) or a tenant (<c>tenant</c>), with its limits. The limits are part of the
/// partition key, so a changed quota takes a new limiter at once.
/// </summary>
internal readonly record struct RequestBucket(string Scope, string Id, double PerSecond, int Size)
{
    public const string KeyScope = "key";

    public const string TenantScope = "tenant";

    /// <summary>A bucket of <paramref name="perSecond"/> whose size is <paramref name="burst"/>, or one second's worth when 0.</summary>
    public static RequestBucket Of(string scope, string id, double perSecond, int burst) =>
        new(scope, id, perSecond, burst > 0 ? burst : Math.Max(1, (int)Math.Ceiling(perSecond)));
}
