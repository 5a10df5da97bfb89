namespace Apex.Agents.Routing;

/// <summary>One task to route through a cascade of models.</summary>
public sealed record CascadeRequest
{
    /// <summary>Models to try in order, cheapest first.</summary>
    public required IReadOnlyList<string> Models { get; init; }

    /// <summary>Most models to call; null uses <see cref="RoutingOptions.MaxModels"/>. The smaller of the two applies.</summary>
    public int? MaxModels { get; init; }

    /// <summary>The task's instruction, shown to the judge.</summary>
    public string Instruction { get; init; } = "";

    /// <summary>The answer must be JSON (implied by <see cref="JsonSchema"/>).</summary>
    public bool ExpectsJson { get; init; }

    /// <summary>JSON Schema text the answer must validate against, or null.</summary>
    public string? JsonSchema { get; init; }

    /// <summary>Asked after the rules accept an answer; null skips it.</summary>
    public ResponseJudge? Judge { get; init; }
}
