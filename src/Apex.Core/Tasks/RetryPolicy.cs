namespace Apex.Core.Tasks;

/// <summary>Exponential backoff with full jitter around the nominal delay (configuration section <c>Apex:Retry</c>).</summary>
public sealed class RetryPolicy
{
    /// <summary>Attempts per task when the request sets none.</summary>
    public int DefaultMaxAttempts { get; set; } = 3;

    /// <summary>Delay before the second attempt.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest delay between attempts.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(32);

    /// <summary>Fraction of the delay that is randomised (0 = none, 0.5 = ±50 %).</summary>
    public double Jitter { get; set; } = 0.5;

    /// <summary>The delay after attempt <paramref name="attempt"/> (1-based) failed.</summary>
    /// <param name="attempt">The attempt that failed.</param>
    /// <param name="random">A number in [0, 1).</param>
    public TimeSpan DelayAfter(int attempt, double random)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 30);
        var nominal = Math.Min(BaseDelay.TotalMilliseconds * Math.Pow(2, exponent), MaxDelay.TotalMilliseconds);
        var factor = 1 + (Jitter * ((2 * random) - 1));
        return TimeSpan.FromMilliseconds(Math.Clamp(nominal * factor, 0, MaxDelay.TotalMilliseconds));
    }
}
