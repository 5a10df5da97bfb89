using System.Buffers;
using System.Text.RegularExpressions;

namespace Apex.Agents.Security;

/// <summary>
/// Replaces secrets in text with <see cref="Mask"/>: every value registered with <see cref="Register"/> (provider keys,
/// tool secrets) and the shapes of well-known credentials. Thread-safe; registering is rare, redacting is cheap.
/// </summary>
public sealed partial class SecretRedactor
{
    /// <summary>What a secret is replaced with.</summary>
    public const string Mask = "[REDACTED]";

    /// <summary>Shorter values are not registered: masking every "admin" or "12345" would mangle ordinary text.</summary>
    public const int MinSecretLength = 8;

    private readonly Lock _gate = new();
    private Secrets _secrets = Secrets.Empty;

    /// <summary>Redacts <paramref name="secret"/> from now on; values shorter than <see cref="MinSecretLength"/> are ignored.</summary>
    /// <returns>True when the value is (now) registered.</returns>
    public bool Register(string? secret)
    {
        if (string.IsNullOrWhiteSpace(secret) || secret.Trim().Length < MinSecretLength)
        {
            return false;
        }
        lock (_gate)
        {
            if (!_secrets.Values.Contains(secret, StringComparer.Ordinal))
            {
                _secrets = new Secrets([.. _secrets.Values, secret]);
            }
        }
        return true;
    }

    /// <summary><paramref name="text"/> with registered secrets and known credential shapes replaced by <see cref="Mask"/>.</summary>
    public string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var redacted = RedactRegistered(text);
        // The shapes' regex has alternatives led by lookbehinds, so it cannot skip ahead to a literal and tries every
        // position: on streamed output (a delta per piece, thousands of agents) it was a tenth of the server's CPU. Every
        // alternative needs one of ShapeTriggers, so text without any of them cannot match and is returned as it is.
        return redacted.AsSpan().ContainsAny(ShapeTriggers) ? KnownShapes().Replace(redacted, Mask) : redacted;
    }

    /// <summary>
    /// A literal each alternative of <see cref="KnownShapes"/> must contain, compared ignoring case (a superset: a
    /// trigger found only means the regex runs).
    /// </summary>
    private static readonly SearchValues<string> ShapeTriggers = SearchValues.Create(
        ["-----BEGIN", "sk-", "AKIA", "ASIA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "apex_", "xox", "bearer",
         "password", "passwd", "pwd", "secret", "api", "access", "auth", "private"],
        StringComparison.OrdinalIgnoreCase);

    private string RedactRegistered(string text)
    {
        var secrets = _secrets;
        if (secrets.Search is null)
        {
            return text;
        }
        var span = text.AsSpan();
        var first = span.IndexOfAny(secrets.Search);
        if (first < 0)
        {
            return text;
        }
        var builder = new System.Text.StringBuilder(text.Length);
        var at = 0;
        while (first >= 0)
        {
            var start = at + first;
            builder.Append(span[at..start]).Append(Mask);
            // Longest first, so a secret that extends a shorter one is masked whole.
            at = start + MatchAt(secrets.Values, span[start..]).Length;
            first = span[at..].IndexOfAny(secrets.Search);
        }
        return builder.Append(span[at..]).ToString();
    }

    private static string MatchAt(string[] longestFirst, ReadOnlySpan<char> text)
    {
        foreach (var secret in longestFirst)
        {
            if (text.StartsWith(secret, StringComparison.Ordinal))
            {
                return secret;
            }
        }
        throw new InvalidOperationException("SearchValues found a secret that no registered value starts.");
    }

    /// <summary>
    /// Credential shapes: PEM private keys; OpenAI, Anthropic, AWS access key ids, GitHub, Slack tokens, Apex API keys; the token of
    /// an <c>Authorization: Bearer</c>; and the value of <c>password=</c>, <c>api_key:</c>, <c>"secret": "…"</c> and
    /// similar assignments (the name stays, so the text still reads).
    /// </summary>
    [GeneratedRegex("""
        -----BEGIN\ (?:[A-Z0-9]+\ )*PRIVATE\ KEY-----[\s\S]*?-----END\ (?:[A-Z0-9]+\ )*PRIVATE\ KEY-----
        | \bsk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}
        | \b(?:AKIA|ASIA)[0-9A-Z]{16}\b
        | \b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}
        | \bgithub_pat_[A-Za-z0-9_]{22,}
        | \bapex_[a-z2-7]{10}_[a-z2-7]{52}
        | \bxox[baprs]-[A-Za-z0-9\-]{10,}
        | (?<=\b(?i:bearer)\s+)[A-Za-z0-9\-._~+/]{8,}=*
        | (?<=(?i:password|passwd|pwd|secret|secret[_\-]?key|api[_\-]?key|access[_\-]?key|access[_\-]?token|auth[_\-]?token|private[_\-]?key)["']?\s*[:=]\s*)
          (?:"[^"\r\n]*"|'[^'\r\n]*'|[^\s"',;&<>]+)
        """, RegexOptions.IgnorePatternWhitespace | RegexOptions.CultureInvariant)]
    private static partial Regex KnownShapes();

    private sealed class Secrets
    {
        public static readonly Secrets Empty = new([]);

        public Secrets(string[] values)
        {
            Values = [.. values.OrderByDescending(v => v.Length)];
            Search = values.Length == 0 ? null : SearchValues.Create(values, StringComparison.Ordinal);
        }

        public string[] Values { get; }

        public SearchValues<string>? Search { get; }
    }
}
