namespace Apex.Agents.Security;

/// <summary>
/// Stands in for a logged exception whose text held a secret: the original's message, stack trace and full text
/// (<see cref="ToString"/>: type, message, inner exceptions, stack) with the secrets redacted.
/// </summary>
internal sealed class RedactedException : Exception
{
    private readonly string _text;
    private readonly string? _stackTrace;

    private RedactedException(string message, string? stackTrace, string text)
        : base(message)
    {
        _stackTrace = stackTrace;
        _text = text;
    }

    public override string? StackTrace => _stackTrace;

    /// <summary><paramref name="exception"/> itself when its text holds no secret, else a redacted stand-in.</summary>
    public static Exception Of(Exception exception, SecretRedactor redactor)
    {
        var text = exception.ToString();
        var clean = redactor.Redact(text);
        return clean == text
            ? exception
            : new RedactedException(redactor.Redact(exception.Message), exception.StackTrace, clean) { Source = exception.GetType().FullName };
    }

    public override string ToString() => _text;
}
