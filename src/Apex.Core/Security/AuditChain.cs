using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Apex.Core.Security;

/// <summary>
/// The hash chain of the audit log. Each entry's hash is SHA-256 over a canonical encoding of its fields and the hash
/// of the entry before, so changing, removing or reordering any entry breaks every link from there on.
/// <para>
/// The encoding, for an external tool: the fields in the order <c>"apex-audit-v1"</c>, seq, time, tenant, actor, action,
/// target, outcome, detail, trace_id, client_address, prev_hash; each as a 4-byte big-endian length followed by that many
/// bytes of UTF-8, or as the length <c>0xFFFFFFFF</c> and no bytes for a null. Seq and time (Unix milliseconds) are
/// written as decimal text; prev_hash as the 64 lowercase hex digits it is stored as. The hash is written the same way.
/// </para>
/// </summary>
public static class AuditChain
{
    /// <summary>The <see cref="AuditEntry.PrevHash"/> of the first entry: 64 zeros.</summary>
    public static readonly string Genesis = new('0', 64);

    private const string Version = "apex-audit-v1";

    /// <summary>The hash of an entry at <paramref name="seq"/> holding <paramref name="e"/> after an entry hashed <paramref name="prevHash"/>.</summary>
    public static string Hash(long seq, AuditEvent e, string prevHash)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        foreach (var field in (ReadOnlySpan<string?>)[
            Version, seq.ToString(CultureInfo.InvariantCulture), e.Time.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            e.TenantId, e.Actor, e.Action, e.Target, e.Outcome, e.Detail, e.TraceId, e.ClientAddress, prevHash])
        {
            var bytes = field is null ? null : Encoding.UTF8.GetBytes(field);
            BinaryPrimitives.WriteUInt32BigEndian(length, bytes is null ? uint.MaxValue : (uint)bytes.Length);
            hash.AppendData(length);
            if (bytes is not null)
            {
                hash.AppendData(bytes);
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// <paramref name="events"/> as the entries that follow the chain's last entry (<paramref name="lastSeq"/>,
    /// <paramref name="lastHash"/>; 0 and null for an empty chain), their times cut to the millisecond as stored.
    /// </summary>
    public static IReadOnlyList<AuditEntry> Extend(long lastSeq, string? lastHash, IReadOnlyList<AuditEvent> events)
    {
        var entries = new AuditEntry[events.Count];
        var prev = lastHash ?? Genesis;
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i] with { Time = DateTimeOffset.FromUnixTimeMilliseconds(events[i].Time.ToUnixTimeMilliseconds()) };
            var seq = lastSeq + i + 1;
            entries[i] = new AuditEntry(seq, e, prev, Hash(seq, e, prev));
            prev = entries[i].Hash;
        }
        return entries;
    }

    /// <summary>
    /// Walks the whole chain from seq 1 in pages of <paramref name="pageSize"/> and stops at the first entry that is
    /// missing, changed or out of place.
    /// </summary>
    public static async Task<AuditVerification> VerifyAsync(IAuditStore store, int pageSize, CancellationToken cancellationToken = default)
    {
        long expected = 1;
        var prev = Genesis;
        while (true)
        {
            var page = await store.ReadAuditAsync(expected - 1, pageSize, cancellationToken);
            foreach (var entry in page)
            {
                var broken = Check(entry, expected, prev);
                if (broken is not null)
                {
                    return new AuditVerification(false, expected - 1, expected, broken);
                }
                prev = entry.Hash;
                expected++;
            }
            if (page.Count < pageSize)
            {
                return new AuditVerification(true, expected - 1, null, null, expected == 1 ? null : prev);
            }
        }
    }

    private static string? Check(AuditEntry entry, long expected, string prev)
    {
        if (entry.Seq != expected)
        {
            return entry.Seq > expected
                ? $"Entry {expected} is missing: the next entry is {entry.Seq}."
                : $"Entry {entry.Seq} appears where entry {expected} should be.";
        }
        if (!string.Equals(entry.PrevHash, prev, StringComparison.Ordinal))
        {
            return $"Entry {expected}'s prev_hash does not match the hash of entry {expected - 1}.";
        }
        return string.Equals(entry.Hash, Hash(entry.Seq, entry.Event, entry.PrevHash), StringComparison.Ordinal)
            ? null
            : $"Entry {expected} does not match its hash: a field was changed.";
    }
}
