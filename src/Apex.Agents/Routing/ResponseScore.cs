namespace Apex.Agents.Routing;

/// <summary>A verdict on one answer: accepted or not, why (<see cref="ScoreReasons"/>), and a 0–1 score.</summary>
/// <param name="Accepted">True when the cascade may stop at this answer.</param>
/// <param name="Reason">One of <see cref="ScoreReasons"/>.</param>
/// <param name="Score">1 or 0 from the rules; the judge's rating when a judge was asked.</param>
/// <param name="Detail">What matched or failed, for operators (a marker, a schema error); null when accepted by rule.</param>
public sealed record ResponseScore(bool Accepted, string Reason, double Score, string? Detail = null)
{
    /// <summary>Accepted by the rules.</summary>
    public static ResponseScore Pass { get; } = new(true, ScoreReasons.Accepted, 1);

    /// <summary>Rejected for <paramref name="reason"/>.</summary>
    public static ResponseScore Reject(string reason, string? detail = null, double score = 0) => new(false, reason, score, detail);
}
