using System.Text.RegularExpressions;

namespace Apex.Core.Dags;

/// <summary>Rules for the ids of DAG nodes and agent names.</summary>
public static partial class DagKeys
{
    /// <summary>Longest id accepted.</summary>
    public const int MaxLength = 128;

    /// <summary>True when <paramref name="key"/> is 1–128 characters of <c>[A-Za-z0-9_.-]</c>.</summary>
    public static bool IsValid(string? key) => key is { Length: > 0 and <= MaxLength } && KeyPattern().IsMatch(key);

    [GeneratedRegex(@"^[A-Za-z0-9_.-]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();
}
