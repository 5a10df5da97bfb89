using Microsoft.Extensions.Logging;

namespace Apex.Agents.Security;

/// <summary>
/// Logs through <paramref name="inner"/> what it is given, unless the message, a structured value or the exception
/// holds a secret: then a redacted copy of each. Scopes pass unchanged.
/// </summary>
internal sealed class RedactingLogger(ILogger inner, SecretRedactor redactor) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!inner.IsEnabled(logLevel))
        {
            return;
        }
        var message = formatter(state, exception);
        var cleanMessage = redactor.Redact(message);
        var cleanException = exception is null ? null : RedactedException.Of(exception, redactor);
        var cleanValues = state is IReadOnlyList<KeyValuePair<string, object?>> values ? Redact(values) : null;
        if (cleanMessage == message && ReferenceEquals(cleanException, exception) && cleanValues is null)
        {
            inner.Log(logLevel, eventId, state, exception, formatter);
            return;
        }
        inner.Log(logLevel, eventId, new RedactedLogState(cleanMessage, cleanValues ?? []), cleanException, static (s, _) => s.Message);
    }

    /// <summary>The values with secrets redacted (as text), or null when none held one.</summary>
    private KeyValuePair<string, object?>[]? Redact(IReadOnlyList<KeyValuePair<string, object?>> values)
    {
        KeyValuePair<string, object?>[]? clean = null;
        for (var i = 0; i < values.Count; i++)
        {
            var text = values[i].Value switch
            {
                null or bool or int or long or double or decimal or Guid or DateTimeOffset or TimeSpan => null,
                var value => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture),
            };
            if (text is null)
            {
                continue;
            }
            var redacted = redactor.Redact(text);
            if (redacted != text)
            {
                clean ??= [.. values];
                clean[i] = new(values[i].Key, redacted);
            }
        }
        return clean;
    }
}
