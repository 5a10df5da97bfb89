namespace Apex.Agents.Routing;

/// <summary>How a cascade judges a cheaper model's answer (configuration section <c>Apex:Routing</c>).</summary>
public sealed class RoutingOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:Routing";

    /// <summary>Most models one cascade calls, whatever the agent lists.</summary>
    public int MaxModels { get; set; } = 3;

    /// <summary>An answer with fewer non-blank characters than this is <c>empty</c>.</summary>
    public int MinLength { get; set; } = 1;

    /// <summary>How many leading characters are searched for refusal and hedging markers.</summary>
    /// <remarks>Markers deep inside a long answer are usually quotes or caveats, not a refusal of the task.</remarks>
    public int MarkerWindow { get; set; } = 200;

    /// <summary>Phrases that mark a refusal when found in the answer's opening (case-insensitive).</summary>
    public List<string> RefusalMarkers { get; set; } =
    [
        "I can't", "I cannot", "I can not", "I'm unable", "I am unable", "I won't", "I will not", "I'm not able to",
        "I am not able to", "as an AI", "as a language model", "I'm sorry, but", "I apologize, but",
    ];

    /// <summary>Phrases that mark a hedge when found in the answer's opening (case-insensitive).</summary>
    public List<string> HedgingMarkers { get; set; } =
    [
        "I'm not sure", "I am not sure", "I don't know", "I do not know", "I'm not certain", "I am not certain",
        "hard to say", "difficult to say", "without more information", "without more context",
    ];

    /// <summary>Phrases that mark a hedge only when the answer starts with them (case-insensitive).</summary>
    public List<string> HedgingPrefixes { get; set; } = ["It depends", "That depends", "Maybe", "Possibly", "Perhaps"];

    /// <summary>A judge's rating (0–1) at or above this accepts the answer.</summary>
    public double JudgeThreshold { get; set; } = 0.7;

    /// <summary>Model that rates answers when an agent asks for a judge; none by default.</summary>
    public string? JudgeModel { get; set; }
}
