using Xunit;

namespace Apex.E2E.Distributed;

/// <summary>
/// The distributed fault tests run one at a time and alone: each starts a server and several workers, and their
/// timing figures (re-claim after a kill, recovery after a Redis restart) mean nothing on a box shared with another.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DistributedCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Distributed";
}
