namespace Apex.Agents.Tools;

/// <summary>One scratchpad: that of a DAG (its id), or of a standalone task (the task's id).</summary>
/// <param name="TenantId">Tenant.</param>
/// <param name="Id">The DAG's id, or a standalone task's.</param>
public readonly record struct ScratchpadScope(string TenantId, Guid Id);
