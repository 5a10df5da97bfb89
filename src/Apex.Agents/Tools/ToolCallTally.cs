namespace Apex.Agents.Tools;

/// <summary>Counts of one attempt's tool calls, for its events and metrics. Thread-safe.</summary>
internal sealed class ToolCallTally
{
    private int _invoked;
    private int _refused;
    private int _blocked;

    /// <summary>Calls of offered tools that ran.</summary>
    public int Invoked => Volatile.Read(ref _invoked);

    /// <summary>Calls of tools that were not offered (not allow-listed, or not existing); none ran.</summary>
    public int Refused => Volatile.Read(ref _refused);

    /// <summary>Tool calls a policy stopped: a fetch of an internal address or a host not allowed.</summary>
    public int Blocked => Volatile.Read(ref _blocked);

    public void CountInvoked() => Interlocked.Increment(ref _invoked);

    public void CountRefused() => Interlocked.Increment(ref _refused);

    public void CountBlocked() => Interlocked.Increment(ref _blocked);
}
