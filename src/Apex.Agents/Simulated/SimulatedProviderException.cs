namespace Apex.Agents.Simulated;

/// <summary>A failure the Simulated provider was asked to produce.</summary>
public sealed class SimulatedProviderException(string message) : Exception(message);
