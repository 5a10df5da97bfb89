using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Apex.Core.Errors;

namespace Apex.Core.Storage;

/// <summary>
/// The opaque cursor of newest-first lists: the (created_at in ms, id) of the last row of a page, base64url.
/// Every store issues and reads the same format.
/// </summary>
public static class PageCursor
{
    /// <summary>The cursor after a row.</summary>
    public static string Encode(long createdAtMs, Guid id) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{createdAtMs}|{id}")));

    /// <summary>The row a cursor points after, or null without a cursor.</summary>
    /// <exception cref="ApexValidationException">The cursor was not issued by a store (code <c>invalid_cursor</c>).</exception>
    public static (long CreatedAtMs, Guid Id)? Decode(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return null;
        }
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            var bar = text.IndexOf('|', StringComparison.Ordinal);
            if (bar > 0 && long.TryParse(text.AsSpan(0, bar), NumberStyles.None, CultureInfo.InvariantCulture, out var at) && Guid.TryParse(text.AsSpan(bar + 1), out var id))
            {
                return (at, id);
            }
        }
        catch (FormatException)
        {
            // fall through to the validation error
        }
        throw new ApexValidationException("invalid_cursor", "The cursor is not one this server issued.",
            new Dictionary<string, string[]> { ["cursor"] = ["Not a valid cursor."] });
    }

    /// <summary>
    /// A page from rows read with <c>LIMIT limit + 1</c>: the extra row, if any, is dropped and says another page
    /// follows, whose cursor is the last kept row's.
    /// </summary>
    public static RecordPage<T> Page<T>(List<T> rows, int limit, Func<T, (long CreatedAtMs, Guid Id)> keyOf)
    {
        if (rows.Count <= limit)
        {
            return new RecordPage<T>(rows, null);
        }
        rows.RemoveAt(rows.Count - 1);
        var (at, id) = keyOf(rows[^1]);
        return new RecordPage<T>(rows, Encode(at, id));
    }
}
