namespace Apex.Server.Tests.Hardening;

/// <summary>A response read by <see cref="RawHttpConnection"/>.</summary>
internal sealed record RawHttpResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string? ContentType => Headers.TryGetValue("Content-Type", out var type) ? type.Split(';')[0] : null;

    public override string ToString() => $"{Status} {ContentType} {(Body.Length > 300 ? Body[..300] + "…" : Body)}";
}
