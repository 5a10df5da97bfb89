namespace Apex.Core.Storage;

/// <summary>Connection figures of a store, for <c>/health</c> and metrics.</summary>
public interface IStoreStatistics
{
    /// <summary>Connections in use.</summary>
    int ConnectionsActive { get; }

    /// <summary>Connection limit.</summary>
    int ConnectionsMax { get; }
}
