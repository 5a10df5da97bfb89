namespace Apex.Agents.Tools;

/// <summary>The scratchpad tools (configuration section <c>Apex:Tools:Scratchpad</c>).</summary>
public sealed class ScratchpadOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:Tools:Scratchpad";

    /// <summary>Longest key.</summary>
    public const int MaxKeyLength = 128;

    /// <summary>Most keys in one scratchpad.</summary>
    public int MaxKeys { get; set; } = 256;

    /// <summary>Most UTF-8 bytes of keys and values together in one scratchpad.</summary>
    public int MaxBytes { get; set; } = 1024 * 1024;

    /// <summary>How long a scratchpad lives after its last write.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Keys are 1–128 of <c>A–Z a–z 0–9 _ - . : /</c>.</summary>
    public static bool IsValidKey(string? key) =>
        key is { Length: > 0 and <= MaxKeyLength } && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':' or '/');
}
