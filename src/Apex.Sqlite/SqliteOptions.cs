namespace Apex.Sqlite;

/// <summary>The embedded store (configuration section <c>Apex:Sqlite</c>).</summary>
public sealed class SqliteOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:Sqlite";

    /// <summary>Database file; relative paths are resolved against the working directory.</summary>
    public string Path { get; set; } = "data/apex.db";

    /// <summary>
    /// SQLite <c>synchronous</c> pragma: <c>FULL</c> (default) fsyncs every group commit, so an acknowledged write
    /// survives power loss; <c>NORMAL</c> survives a process crash only.
    /// </summary>
    public string Synchronous { get; set; } = "FULL";

    /// <summary>Most writes coalesced into one transaction.</summary>
    public int MaxBatch { get; set; } = 512;

    /// <summary>Writes that may wait for the writer before submitters are pushed back.</summary>
    public int MaxPendingWrites { get; set; } = 20_000;

    /// <summary>How long a write may wait for its commit before the caller gets 503.</summary>
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
