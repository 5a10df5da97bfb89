using Xunit;

namespace Apex.Server.Tests.Conformance;

/// <summary>
/// The distributed variants of the conformance suite share one <see cref="DistributedBackend"/> (one worker process,
/// one database, one key prefix) and so run one at a time; the embedded variants and other classes run beside them.
/// </summary>
[CollectionDefinition(DistributedBackend.Collection)]
public sealed class DistributedBackendCollection : ICollectionFixture<DistributedBackend>;
