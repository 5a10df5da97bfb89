namespace Apex.Redis.Queue;

/// <summary>A live worker, from its presence hash <c>{prefix}:worker:{id}</c>.</summary>
/// <param name="WorkerId">Worker id.</param>
/// <param name="Capacity">Attempts it runs at once.</param>
/// <param name="Busy">Attempts it is running.</param>
/// <param name="Language">Implementation language, e.g. <c>dotnet</c> or <c>python</c>.</param>
/// <param name="StartedAt">When the worker started, or null when it did not say.</param>
public sealed record WorkerPresence(string WorkerId, int Capacity, int Busy, string Language, DateTimeOffset? StartedAt);
