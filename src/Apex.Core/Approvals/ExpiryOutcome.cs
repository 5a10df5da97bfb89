using Apex.Core.Storage;

namespace Apex.Core.Approvals;

/// <summary>What one expiry sweep did.</summary>
/// <param name="Expired">Approvals expired by this sweep.</param>
/// <param name="Changes">What failing their tasks changed in their DAGs.</param>
public sealed record ExpiryOutcome(int Expired, TransitionOutcome Changes);
