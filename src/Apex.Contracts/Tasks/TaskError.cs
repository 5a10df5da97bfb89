namespace Apex.Contracts.Tasks;

/// <summary>Why a task failed: a stable machine code and a human message.</summary>
public sealed record TaskError(string Code, string Message);
