using Microsoft.Extensions.Options;

namespace Apex.Redis;

/// <summary>Rejects <see cref="RedisOptions"/> that would break the protocol's timing, naming the first bad setting.</summary>
internal sealed class RedisOptionsValidator : IValidateOptions<RedisOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisOptions options) =>
        Check(options) is { } failure ? ValidateOptionsResult.Fail(failure) : ValidateOptionsResult.Success;

    private static string? Check(RedisOptions o)
    {
        if (string.IsNullOrWhiteSpace(o.Prefix) || o.Prefix.Any(char.IsWhiteSpace))
        {
            return "Apex:Redis:Prefix must be non-empty and contain no whitespace.";
        }
        if (o.LeaseTtl < TimeSpan.FromMilliseconds(100))
        {
            return "Apex:Redis:LeaseTtl must be at least 100 ms.";
        }
        if (o.HeartbeatInterval <= TimeSpan.Zero || o.HeartbeatInterval >= o.LeaseTtl)
        {
            return "Apex:Redis:HeartbeatInterval must be positive and shorter than LeaseTtl.";
        }
        if (o.DispatchTtl < o.LeaseTtl)
        {
            return "Apex:Redis:DispatchTtl must be at least LeaseTtl.";
        }
        if (o.SweepInterval <= TimeSpan.Zero)
        {
            return "Apex:Redis:SweepInterval must be positive.";
        }
        if (o.ClaimIdle < o.LeaseTtl)
        {
            return "Apex:Redis:ClaimIdle must be at least LeaseTtl: a live consumer's entries must not be claimed.";
        }
        if (o.ReadBatch is < 1 or > 10_000)
        {
            return "Apex:Redis:ReadBatch must be 1–10000.";
        }
        if (o.EventsPerMessage is < 1 or > 100_000)
        {
            return "Apex:Redis:EventsPerMessage must be 1–100000.";
        }
        if (o.LiveEventDelay < TimeSpan.Zero || o.LiveEventDelay > TimeSpan.FromSeconds(1))
        {
            return "Apex:Redis:LiveEventDelay must be 0–1 s.";
        }
        if (o.BlockTime < TimeSpan.Zero || o.BlockTime > TimeSpan.FromMinutes(1))
        {
            return "Apex:Redis:BlockTime must be 0–60 s.";
        }
        if (o.PollInterval < TimeSpan.FromMilliseconds(1) || o.PollInterval > TimeSpan.FromSeconds(1))
        {
            return "Apex:Redis:PollInterval must be 1 ms–1 s.";
        }
        return null;
    }
}
