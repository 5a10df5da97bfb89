using Xunit;

namespace Apex.Server.Tests.Hardening;

/// <summary>Runs alone: it measures the process's managed heap, which other tests running beside it would move.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasurement
{
    public const string Name = "memory measurement";
}
