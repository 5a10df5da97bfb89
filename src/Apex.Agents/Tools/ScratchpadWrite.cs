namespace Apex.Agents.Tools;

/// <summary>The outcome of writing a scratchpad value.</summary>
public enum ScratchpadWrite
{
    /// <summary>Stored.</summary>
    Ok,

    /// <summary>Refused: the scratchpad already holds <see cref="ScratchpadOptions.MaxKeys"/> keys.</summary>
    TooManyKeys,

    /// <summary>Refused: keys and values would exceed <see cref="ScratchpadOptions.MaxBytes"/>.</summary>
    TooLarge,
}
