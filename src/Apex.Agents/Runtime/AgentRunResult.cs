using Apex.Core.Events;

namespace Apex.Agents.Runtime;

/// <summary>The output of one attempt, what it consumed, and what each model it called spent.</summary>
public sealed record AgentRunResult(string Output, UsageDelta Usage, IReadOnlyList<LlmCallUsage> Calls);
