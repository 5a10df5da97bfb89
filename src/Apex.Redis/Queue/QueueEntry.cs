namespace Apex.Redis.Queue;

/// <summary>A message read from a stream, with the entry id to acknowledge it by.</summary>
/// <param name="EntryId">Stream entry id (<c>ms-seq</c>).</param>
/// <param name="Message">The parsed message.</param>
public readonly record struct QueueEntry<T>(string EntryId, T Message);
