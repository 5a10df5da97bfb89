using Apex.Core.Events;

namespace Apex.Agents.Runtime;

/// <summary>The output of one attempt and what it consumed.</summary>
public sealed record AgentRunResult(string Output, UsageDelta Usage);
