namespace Apex.Agents.Runtime;

/// <summary>Names of the agent runtime's telemetry sources.</summary>
public static class AgentTelemetry
{
    /// <summary>ActivitySource name of LLM calls.</summary>
    public const string SourceName = "Apex.Agents";
}
