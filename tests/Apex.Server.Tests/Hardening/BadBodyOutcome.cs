namespace Apex.Server.Tests.Hardening;

/// <summary>A bad body's answer.</summary>
internal sealed record BadBodyOutcome(BadBody Body, string Route, int Status, string? ContentType, string Text, long BytesSent)
{
    public override string ToString() => $"{Body} {Route}: {Status} {ContentType} ({BytesSent:N0} bytes sent) {(Text.Length > 200 ? Text[..200] : Text)}";
}
