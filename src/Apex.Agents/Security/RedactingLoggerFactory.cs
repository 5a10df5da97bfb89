using Microsoft.Extensions.Logging;

namespace Apex.Agents.Security;

/// <summary>
/// Wraps the host's <see cref="ILoggerFactory"/> so every logger it hands out passes messages, structured values and
/// exceptions through the <see cref="SecretRedactor"/> before any provider (console, OpenTelemetry...) sees them.
/// Providers keep their own types, so their filter rules and options still apply.
/// </summary>
internal sealed class RedactingLoggerFactory(ILoggerFactory inner, SecretRedactor redactor) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName), redactor);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();
}
