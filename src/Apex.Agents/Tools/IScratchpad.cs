namespace Apex.Agents.Tools;

/// <summary>
/// Text values shared by the tasks of one DAG, bounded by <see cref="ScratchpadOptions"/>: in process in embedded
/// mode, in Redis in distributed mode. Keys are validated by the caller (<see cref="ScratchpadOptions.IsValidKey"/>).
/// </summary>
public interface IScratchpad
{
    /// <summary>The value of <paramref name="key"/>, or null when it has none.</summary>
    Task<string?> ReadAsync(ScratchpadScope scope, string key, CancellationToken cancellationToken = default);

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/> unless that would break a bound; atomic.</summary>
    Task<ScratchpadWrite> WriteAsync(ScratchpadScope scope, string key, string value, CancellationToken cancellationToken = default);

    /// <summary>The keys, in ordinal order.</summary>
    Task<IReadOnlyList<string>> ListAsync(ScratchpadScope scope, CancellationToken cancellationToken = default);
}
