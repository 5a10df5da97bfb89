namespace Apex.Agents.Tools;

/// <summary>Thrown by the connect callback when a fetch would reach an internal address; surfaces as a blocked fetch.</summary>
internal sealed class FetchBlockedException(string message) : Exception(message);
