namespace Apex.Core.Security;

/// <summary>
/// An <see cref="AuditEvent"/> as stored: its place in the one global chain (<see cref="Seq"/>, from 1 without gaps)
/// and the hashes that link it to the entry before (<see cref="AuditChain"/> has the encoding).
/// </summary>
/// <param name="Seq">Position in the chain, 1 for the first entry.</param>
/// <param name="Event">What happened.</param>
/// <param name="PrevHash">The hash of entry <c>Seq - 1</c>, or <see cref="AuditChain.Genesis"/> for the first.</param>
/// <param name="Hash">SHA-256 over this entry's fields and <paramref name="PrevHash"/>, lowercase hex.</param>
public sealed record AuditEntry(long Seq, AuditEvent Event, string PrevHash, string Hash);
