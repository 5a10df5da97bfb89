namespace Apex.Redis.Queue;

/// <summary>A message on the control channel: <c>{"type":"cancel","task_id":"…","attempt":n}</c>.</summary>
internal sealed record ControlMessage(string Type, Guid TaskId, int Attempt)
{
    public const string Cancel = "cancel";

    /// <summary>The attempt of a cancel meant for whatever attempt of the task is running.</summary>
    public const int AnyAttempt = 0;
}
