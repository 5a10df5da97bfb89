namespace Apex.Core.Security;

/// <summary>The result of walking the audit chain.</summary>
/// <param name="Valid">Whether every entry was in place and unchanged.</param>
/// <param name="Checked">How many entries were found intact before the first broken one (all of them when valid).</param>
/// <param name="FirstInvalidSeq">The seq of the first entry missing or changed; null when valid.</param>
/// <param name="Reason">What is wrong there; null when valid.</param>
/// <param name="HeadHash">When valid, the last entry's hash: keep it elsewhere to detect a later rewrite of the whole tail.</param>
public sealed record AuditVerification(bool Valid, long Checked, long? FirstInvalidSeq, string? Reason, string? HeadHash = null);
