namespace Apex.Agents.Tests.Routing;

/// <summary>Each timestamp read is one <see cref="Step"/> after the previous, so a call started and ended measures one step.</summary>
internal sealed class SteppingTimeProvider : TimeProvider
{
    public static readonly TimeSpan Step = TimeSpan.FromMilliseconds(250);

    private long _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Add(ref _ticks, Step.Ticks);
}
